import Data
import Evaluation
// The names a spec may use; specs naming anything else are rejected with the valid list. The
// benchmark names and variants come from the evaluator's benchmark list (BenchmarkCatalog), so a
// benchmark added there is usable in specs and tables without an edit here.

/// One fine-tuning method and the hyper-parameters its spec entry may set (name → kind).
public struct MethodSchema: Sendable {
    public enum Kind: String, Sendable { case int, number, string, strings, epochs }
    public let name: String
    public let hyper: [String: Kind]
    public let required: [String]
    /// How the method consumes data: "meta" (iterations × n × (k·n_s + n_q) samples, Table 7),
    /// "epochs" (epochs × examples), "none" (the base model, evaluated without fine-tuning).
    public let consumption: String
}

public enum Registry {
    static let adapterKeys: [String: MethodSchema.Kind] = ["rank": .int, "targets": .strings]
    static let epochKeys: [String: MethodSchema.Kind] = ["lr": .number, "batch_size": .int, "epochs": .epochs, "max_seq_len": .int]

    /// Methods (§4.1 baselines, §3 MeTA-LoRA, §4.3 -STA, Appendix A.1.2 hyper-parameters).
    public static let methods: [MethodSchema] = [
        MethodSchema(name: "meta-lora", hyper: adapterKeys.merging([
            "iterations": .int, "tasks_per_iteration": .int, "support_size": .int, "query_size": .int,
            "adaptation_steps": .int, "alpha": .number, "beta": .number, "meta_optimizer": .string, "max_seq_len": .int,
        ]) { a, _ in a }, required: ["iterations", "tasks_per_iteration", "support_size", "query_size", "adaptation_steps", "alpha", "beta", "rank", "targets"],
        consumption: "meta"),
        // -STA (§4.3, Figure 2): no task-specific adaptation; only query gradients update the shared adapter.
        MethodSchema(name: "sta", hyper: adapterKeys.merging([
            "iterations": .int, "tasks_per_iteration": .int, "query_size": .int, "beta": .number, "meta_optimizer": .string, "max_seq_len": .int,
        ]) { a, _ in a }, required: ["iterations", "tasks_per_iteration", "query_size", "beta", "rank", "targets"], consumption: "meta"),
        MethodSchema(name: "lora", hyper: adapterKeys.merging(epochKeys) { a, _ in a },
                     required: ["lr", "batch_size", "epochs", "rank", "targets"], consumption: "epochs"),
        // HydraLoRA: lora_nums B matrices = number of tasks (Appendix A.1.2).
        MethodSchema(name: "hydralora", hyper: adapterKeys.merging(epochKeys) { a, _ in a }.merging(["lora_nums": .string]) { a, _ in a },
                     required: ["lr", "batch_size", "epochs", "rank", "targets"], consumption: "epochs"),
        MethodSchema(name: "rlora", hyper: adapterKeys.merging(epochKeys) { a, _ in a }.merging(["heads": .string]) { a, _ in a },
                     required: ["lr", "batch_size", "epochs", "rank", "targets"], consumption: "epochs"),
        MethodSchema(name: "loramoe", hyper: adapterKeys.merging(epochKeys) { a, _ in a }.merging(["experts": .int]) { a, _ in a },
                     required: ["lr", "batch_size", "epochs", "rank", "targets"], consumption: "epochs"),
        // LoRAHub (§4.1): black-box weights over 20 LoRAs; the upstream LoRAs are trained per task.
        MethodSchema(name: "lorahub", hyper: adapterKeys.merging(epochKeys) { a, _ in a }.merging(["n_loras": .int, "search_steps": .int]) { a, _ in a },
                     required: ["lr", "batch_size", "epochs", "rank", "targets", "n_loras", "search_steps"], consumption: "epochs"),
        // The untuned base model (Table 1 "Base", Table 4 "LLaMA").
        MethodSchema(name: "base", hyper: [:], required: [], consumption: "none"),
    ]
    public static var methodNames: [String] { methods.map(\.name) }
    public static func method(_ name: String) -> MethodSchema? { methods.first { $0.name == name } }

    /// Benchmark names of the active definitions (`Evaluation.BenchmarkCatalog.active()`).
    public static var benchmarks: [String] { BenchmarkRegistry.names }
    /// A benchmark's declared protocol variants; empty when it has one definition without a variant.
    public static func variants(of benchmark: String) -> [String] { (try? BenchmarkCatalog.active().variants(of: benchmark)) ?? [] }
    public static var bbhVariants: [String] { variants(of: "bbh") }
    public static let dataSelections = ["random", "bm25", "dsir"]
    public static let adapterTargets = ["q", "k", "v", "o"]
    /// The metric every table reads: accuracy as a fraction in [0, 1], subset "all" = the
    /// benchmark's headline aggregate (the evaluator defines it; e.g. average over languages for Table 4).
    public static let headlineMetric = "accuracy"
    public static let overallSubset = "all"

    public static let settings: [SettingInfo] = [
        SettingInfo(name: "flanv2-43", paperName: "Flanv2", taskCount: 43,
                    tasks: taskIDs("flanv2-43"),
                    paperFullSamples: 325_783, mirrorPool: nil,
                    note: "Appendix A.1.1 names 42 datasets for 43 tasks; DROP is absent from the mirror, WMT13 en-es stands in for Paracrawl"),
        SettingInfo(name: "five-task", paperName: "Five-task", taskCount: 5, tasks: taskIDs("five-task"),
                    paperFullSamples: 439_950, mirrorPool: 7_473 + 8_999 + 2_985 + 33_410 + 1_838,
                    note: "CosmosQA and PIQA pools are their validation splits (official train absent from the mirror)"),
        SettingInfo(name: "five-task-winogrande", paperName: "Five-task variant", taskCount: 5, tasks: taskIDs("five-task-winogrande"),
                    paperFullSamples: 487_075, mirrorPool: 7_473 + 8_999 + 2_985 + 33_410 + 2_558,
                    note: "§4.3 RQ1: PiQA replaced by WinoGrande (train_m pool on the mirror)"),
        SettingInfo(name: "multilingual", paperName: "Multilingual", taskCount: 52, tasks: taskIDs("multilingual"),
                    paperFullSamples: 3_400_000, mirrorPool: 52 * 1_012,
                    note: "Bactrian-X is unreachable: FLORES-200 translation pairs in its 52 languages substitute for it"),
    ]
    public static var settingNames: [String] { settings.map(\.name) }

    /// A setting's task ids as the data registry defines them, including the ones the mirror lacks
    /// (listed, so a spec naming them gets the data module's "missing from the mirror" error).
    static func taskIDs(_ setting: String) -> [String] {
        guard let s = try? TaskRegistry.setting(setting) else { return [] }
        return s.tasks.map(\.id) + s.missing.map { $0.name.lowercased() }
    }

    /// The tasks the mirror holds: what a spec that names no tasks trains on. A task the mirror
    /// lacks (Flanv2's DROP) is left out and the run records the gap (coverage "42 of 43 tasks
    /// present; missing: DROP") instead of every cell failing on it.
    static func presentTaskIDs(_ setting: String) -> [String] {
        (try? TaskRegistry.setting(setting))?.tasks.map(\.id) ?? []
    }
    public static func setting(_ name: String) -> SettingInfo? { settings.first { $0.name == name } }
}

/// A training setting (§4.1, Table 3): its tasks, the paper's full-data size and the mirror's pool.
public struct SettingInfo: Sendable {
    public let name: String
    public let paperName: String
    public let taskCount: Int
    /// Every task the paper names (the ones the mirror lacks too), for validating spec task lists.
    public let tasks: [String]
    public let paperFullSamples: Int
    public let mirrorPool: Int?
    public let note: String

    /// The tasks a cell trains on when its spec names none (the ones the mirror holds).
    public var presentTasks: [String] { Registry.presentTaskIDs(name) }
}
