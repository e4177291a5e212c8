import Data
import Evaluation
import Training
// The names a spec may use; specs naming anything else are rejected with the valid list. Methods
// come from their descriptors (Training/Methods); benchmark names and variants from the evaluator's
// benchmark list (BenchmarkCatalog), so a benchmark added there is usable in specs and tables without an edit here.

/// One fine-tuning method as a spec sees it: the keys its entry may set (name → kind) and the ones
/// it must state, read from the method's descriptor (Training/Methods).
public struct MethodSchema: Sendable {
    public enum Kind: String, Sendable { case int, number, string, strings, bool, epochs, headCount }
    public let descriptor: MethodDescriptor
    public var name: String { descriptor.name }
    public var hyper: [String: Kind] {
        Dictionary(uniqueKeysWithValues: descriptor.hyperParameters.map { ($0.key, Kind(rawValue: $0.type.rawValue)!) })
    }
    public var required: [String] { descriptor.requiredInSpec }
    public func parameter(_ key: String) -> HyperParameter? { descriptor.parameter(key) }
}

public enum Registry {
    /// The methods specs may name: the descriptors of `MethodCatalog.standard`, or of the catalog
    /// a caller passes (tests extend it with a method of their own).
    public static func methods(_ catalog: MethodCatalog = .standard) -> [MethodSchema] {
        catalog.descriptors.map(MethodSchema.init(descriptor:))
    }
    public static var methodNames: [String] { MethodCatalog.standard.names }
    public static func method(_ name: String, in catalog: MethodCatalog = .standard) -> MethodSchema? {
        catalog.descriptor(name).map(MethodSchema.init(descriptor:))
    }

    /// Benchmark names of the active definitions (`Evaluation.BenchmarkCatalog.active()`).
    public static var benchmarks: [String] { BenchmarkRegistry.names }
    /// A benchmark's declared protocol variants; empty when it has one definition without a variant.
    public static func variants(of benchmark: String) -> [String] { (try? BenchmarkCatalog.active().variants(of: benchmark)) ?? [] }
    public static var bbhVariants: [String] { variants(of: "bbh") }
    public static let dataSelections = ["random", "bm25", "dsir"]
    /// The metric every table reads: accuracy as a fraction in [0, 1], subset "all" = the
    /// benchmark's headline aggregate (the evaluator defines it; e.g. average over languages for Table 4).
    public static let headlineMetric = "accuracy"
    public static let overallSubset = "all"

    public static let settings: [SettingInfo] = [
        SettingInfo(name: "flanv2-43", paperName: "Flanv2", taskCount: 43,
                    tasks: taskIDs("flanv2-43"),
                    // The 42 present tasks' candidates (each pool minus its held-out draw), as
                    // SettingStatisticsTests counts them on the mirror.
                    paperFullSamples: 325_783, mirrorPool: 227_538,
                    note: "Appendix A.1.1 names 42 datasets for 43 tasks; DROP is absent from the mirror, WMT13 en-es stands in for Paracrawl"),
        SettingInfo(name: "five-task", paperName: "Five-task", taskCount: 5, tasks: taskIDs("five-task"),
                    paperFullSamples: 439_950, mirrorPool: 7_473 + 8_999 + 2_985 + 33_410 + 1_838,
                    note: "CosmosQA and PIQA pools are their validation splits (official train absent from the mirror); QQP is the mirror's 9,999 labelled pairs (8,999 + 1,000), not GLUE QQP's 363,846 training pairs"),
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
