import Foundation

/// A named training configuration of the paper: its tasks, the datasets it names that the
/// mirror lacks, the substitutions made, and the paper's Table 3 figures for comparison.
public struct TrainingSetting: Sendable {
    public let id: String
    public let summary: String
    /// Tasks the mirror holds, in the order the paper lists them.
    public let tasks: [TaskSpec]
    /// Datasets the paper lists that the mirror does not hold (reported, never silently dropped).
    public let missing: [FlanCatalog.MissingDataset]
    /// The number of tasks the paper uses (Table 3).
    public let paperTaskCount: Int
    /// Table 3: samples the baselines train on (full data).
    public let paperBaselineSamples: Int
    /// Table 3: samples MeTA-LoRA uses (budget × tasks).
    public let paperOurSamples: Int
    /// The per-task budget of Table 3 (50 for five-task and multilingual, 100 for Flanv2).
    public let paperBudgetPerTask: Int
    /// Setting-level notes (substitutions, pool choices) recorded with every run.
    public let notes: [String]

    /// "N of M tasks present", as runs and tables report it.
    public var coverage: String { "\(tasks.count) of \(paperTaskCount) tasks present" + (missing.isEmpty ? "" : "; missing: \(missing.map(\.name).joined(separator: ", "))") }

    /// Task-level substitutions (tasks whose notes start with "SUBSTITUTE").
    public var substitutions: [String] {
        tasks.filter { $0.notes.contains("SUBSTITUTE") }.map { "\($0.name): \($0.notes)" }
    }

    public func task(_ id: String) throws -> TaskSpec {
        guard let t = tasks.first(where: { $0.id == id }) else {
            if let m = missing.first(where: { $0.name.lowercased() == id.lowercased() }) {
                throw DataError.taskMissingFromMirror(task: m.name, reason: m.reason)
            }
            throw DataError.unknownTask(id, valid: tasks.map(\.id))
        }
        return t
    }
}

/// All training tasks and settings, looked up by name.
public enum TaskRegistry {
    public static let fiveTask = TrainingSetting(
        id: "five-task", summary: "GSM8K, QQP, CosmosQA, SiQA, PiQA (section 4.1.1)",
        tasks: [FiveTaskCatalog.gsm8k, FiveTaskCatalog.qqp, FiveTaskCatalog.cosmosQA, FiveTaskCatalog.socialIQA, FiveTaskCatalog.physicalIQA],
        missing: [], paperTaskCount: 5, paperBaselineSamples: 439_950, paperOurSamples: 250, paperBudgetPerTask: 50,
        notes: [FiveTaskCatalog.qqp.notes, FiveTaskCatalog.cosmosQA.notes, FiveTaskCatalog.physicalIQA.notes].map { "pool: \($0)" })

    public static let fiveTaskWinoGrande = TrainingSetting(
        id: "five-task-winogrande", summary: "the five-task setting with WinoGrande in place of PiQA (the more challenging variant, Table 7)",
        tasks: [FiveTaskCatalog.gsm8k, FiveTaskCatalog.qqp, FiveTaskCatalog.cosmosQA, FiveTaskCatalog.socialIQA, FiveTaskCatalog.winoGrande],
        missing: [], paperTaskCount: 5, paperBaselineSamples: 487_075, paperOurSamples: 250, paperBudgetPerTask: 50,
        notes: [FiveTaskCatalog.qqp.notes, FiveTaskCatalog.cosmosQA.notes, FiveTaskCatalog.winoGrande.notes].map { "pool: \($0)" })

    public static let flanV2 = TrainingSetting(
        id: "flanv2-43", summary: "the Flanv2 subset of appendix A.1.1: 43 datasets in 10 clusters (ARC counted as Challenge + Easy)",
        tasks: FlanCatalog.tasks, missing: FlanCatalog.missing, paperTaskCount: FlanCatalog.paperTaskCount,
        paperBaselineSamples: 325_783, paperOurSamples: 4_300, paperBudgetPerTask: 100,
        notes: ["the appendix names 42 datasets; ARC is two FLAN tasks (Challenge, Easy), giving the paper's 43",
                "pools are the raw copies in data/flan (mostly dev/test splits and k-shot samples; see each task's notes), not FLAN's own mixture",
                "missing: " + FlanCatalog.missing.map { "\($0.name) (\($0.reason))" }.joined(separator: "; ")])

    public static let multilingual = TrainingSetting(
        id: "multilingual", summary: "52 languages, 50 examples each (section 4.1.2); Bactrian-X substituted",
        tasks: MultilingualCatalog.tasks, missing: [], paperTaskCount: 52, paperBaselineSamples: 3_400_000,
        paperOurSamples: 2_600, paperBudgetPerTask: 50, notes: [MultilingualCatalog.substitutionNote])

    public static let settings: [TrainingSetting] = [fiveTask, fiveTaskWinoGrande, flanV2, multilingual]

    /// Every task of every setting, each id once (shared tasks keep their first cluster).
    public static let tasks: [TaskSpec] = {
        var seen = Set<String>()
        return (FiveTaskCatalog.all + FlanCatalog.tasks + MultilingualCatalog.tasks).filter { seen.insert($0.id).inserted }
    }()

    public static func setting(_ id: String) throws -> TrainingSetting {
        guard let s = settings.first(where: { $0.id == id }) else { throw DataError.unknownSetting(id, valid: settings.map(\.id)) }
        return s
    }

    public static func task(_ id: String) throws -> TaskSpec {
        guard let t = tasks.first(where: { $0.id == id }) else {
            if let m = FlanCatalog.missing.first(where: { $0.name.lowercased() == id.lowercased() }) {
                throw DataError.taskMissingFromMirror(task: m.name, reason: m.reason)
            }
            throw DataError.unknownTask(id, valid: tasks.map(\.id))
        }
        return t
    }
}
