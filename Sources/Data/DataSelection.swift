import Foundation

/// Table 13 / appendix A.4: pick the top-k (50) examples of each task by relevance to a target
/// benchmark, then train plain LoRA on them. The caller supplies the benchmark texts (e.g. the
/// BBH inputs), so this module does not depend on Evaluation.
public enum SelectionMethod: String, Sendable, CaseIterable, Codable {
    case bm25
    case dsir
}

public struct SelectionResult: Sendable, Codable, Equatable {
    public let method: SelectionMethod
    public let taskID: String
    /// Selected example ids, best first (recorded with the run).
    public let selectedIDs: [String]
    /// Their scores, aligned with `selectedIDs`.
    public let scores: [Double]
}

public enum DataSelection {
    public static let defaultCount = 50

    /// The `count` best candidates of one task for the target texts.
    public static func select(_ method: SelectionMethod, candidates: [TrainingExample], targetTexts: [String],
                              count: Int = defaultCount) throws -> (result: SelectionResult, examples: [TrainingExample]) {
        guard let task = candidates.first?.task else { throw DataError.invalidParameter("no candidates to select from") }
        guard !targetTexts.isEmpty else { throw DataError.invalidParameter("no target texts to select for") }
        guard count > 0, count <= candidates.count else {
            throw DataError.budgetLargerThanPool(task: task, budget: count, available: candidates.count)
        }
        let documents = candidates.map(SelectionText.document)
        let scores: [Double]
        switch method {
        case .bm25: scores = BM25Scorer(documents: documents).scores(queries: targetTexts)
        case .dsir:
            let scorer = DSIRScorer(targetTexts: targetTexts, rawTexts: documents)
            scores = documents.map(scorer.importanceWeight)
        }
        let top = SelectionText.topIndices(scores, count: count)
        let result = SelectionResult(method: method, taskID: task, selectedIDs: top.map { candidates[$0].id }, scores: top.map { scores[$0] })
        return (result, top.map { candidates[$0] })
    }

    /// The selection as a task budget (held-out rows are never candidates).
    public static func budget(_ method: SelectionMethod, pool: TaskPool, targetTexts: [String],
                              count: Int = defaultCount) throws -> (budget: TaskBudget, result: SelectionResult) {
        let (result, examples) = try select(method, candidates: pool.candidates, targetTexts: targetTexts, count: count)
        return (TaskBudget(taskID: pool.task.id, seed: 0, exampleIDs: result.selectedIDs, examples: examples), result)
    }
}

/// How a plan's budgets were chosen when not by a random draw: the method, the target it ranked
/// against (sources, size, digest) and each task's picks with their scores.
public struct PlanSelection: Sendable {
    public let method: SelectionMethod
    public let targetSources: [SelectionTarget.Source]
    public let targetTextCount: Int
    public let targetSHA256: String
    public let results: [SelectionResult]

    /// The selection side of a run record (the picked ids are the plan's `budget_ids`).
    public var record: [String: String] {
        ["selection": method.rawValue,
         "selection_target": targetSources.map { "\($0.name)=\($0.count)" }.joined(separator: ","),
         "selection_target_texts": String(targetTextCount),
         "selection_target_sha256": targetSHA256]
    }
}

extension DataPlan {
    /// A plan whose per-task budgets are the top-`count` examples chosen by `method` for the
    /// target (Table 13), instead of a random draw. The picks do not depend on `seed` (it is the
    /// run's seed, kept for the record); `episode` is checked as in `build`.
    public static func buildSelected(setting settingID: String, tasks taskIDs: [String]? = nil, directory: DataDirectory,
                                     method: SelectionMethod, target: SelectionTarget, count: Int = DataSelection.defaultCount,
                                     seed: UInt64 = 0, episode: (tasksPerIteration: Int, supportSize: Int, querySize: Int)? = nil,
                                     heldOutCount: Int = TaskPool.defaultHeldOutCount) throws -> DataPlan {
        let setting = try TaskRegistry.setting(settingID)
        let specs = try taskIDs.map { try $0.map(setting.task) } ?? setting.tasks
        if let e = episode {
            try DataValidation.checkEpisode(taskCount: specs.count, tasksPerIteration: e.tasksPerIteration,
                                            supportSize: e.supportSize, querySize: e.querySize, smallestBudget: count)
        }
        let pools = try specs.map { try TaskPool.load($0, from: directory, heldOutCount: heldOutCount) }
        let picks = try pools.map { try DataSelection.budget(method, pool: $0, targetTexts: target.texts, count: count) }
        var plan = DataPlan(setting: setting, pools: pools, budgets: picks.map(\.budget), budgetPerTask: count, seed: seed)
        plan.selection = PlanSelection(method: method, targetSources: target.sources, targetTextCount: target.texts.count,
                                       targetSHA256: target.sha256, results: picks.map(\.result))
        return plan
    }
}
