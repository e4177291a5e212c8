import Foundation
import Data

/// The tokenized data of one run: each task's budget (what training may touch) and a capped
/// slice of its held-out set (outside the budget; scored for initial/final eval loss).
///
/// Samplers draw `TrainingExample`s from the budgets (Data's `EpisodeSampler` and
/// `MixedTaskBatches`); the trainer looks their tokens up here by example id.
public struct TrainingTasks: Sendable {
    public let budgets: [TaskBudget]
    /// Held-out examples per task, in task order (at most `evalExamplesPerTask` each).
    public let heldOut: [[TokenizedExample]]
    /// Every budget example's tokens, by example id.
    public let tokensByID: [String: TokenizedExample]
    public let truncation: TruncationReport
    /// The prompt format used (recorded with the run).
    public let promptFormat: String

    public var taskIDs: [String] { budgets.map(\.taskID) }
    public var taskCount: Int { budgets.count }

    /// - Parameters:
    ///   - pools: each task's pool (its held-out set is read from here), same order as `budgets`.
    ///   - evalExamplesPerTask: cap on held-out examples scored per task.
    public init(pools: [TaskPool], budgets: [TaskBudget], tokenizer: ExampleTokenizer, evalExamplesPerTask: Int) {
        precondition(pools.count == budgets.count && zip(pools, budgets).allSatisfy { $0.task.id == $1.taskID },
                     "TrainingTasks: pools and budgets must list the same tasks in the same order")
        self.budgets = budgets
        let budgetExamples = budgets.flatMap(\.examples)
        let (tokenized, report) = tokenizer.tokenizeAll(budgetExamples)
        var byID: [String: TokenizedExample] = [:]
        for t in tokenized { byID[t.exampleID] = t }
        tokensByID = byID
        truncation = report
        heldOut = pools.map { pool in pool.heldOut.prefix(evalExamplesPerTask).map { tokenizer($0) } }
        promptFormat = tokenizer.format.name
    }

    /// From a validated `DataPlan`.
    public init(plan: DataPlan, tokenizer: ExampleTokenizer, evalExamplesPerTask: Int) {
        self.init(pools: plan.pools, budgets: plan.budgets, tokenizer: tokenizer, evalExamplesPerTask: evalExamplesPerTask)
    }

    init(budgets: [TaskBudget], heldOut: [[TokenizedExample]], tokensByID: [String: TokenizedExample],
         truncation: TruncationReport, promptFormat: String) {
        self.budgets = budgets; self.heldOut = heldOut; self.tokensByID = tokensByID
        self.truncation = truncation; self.promptFormat = promptFormat
    }

    /// The same run data restricted to some of its tasks (in this run's order), without
    /// re-tokenizing: LoRAHub trains each upstream LoRA on one task's budget alone.
    public func restricted(to taskIDs: [String]) -> TrainingTasks {
        let keep = budgets.indices.filter { taskIDs.contains(budgets[$0].taskID) }
        precondition(keep.count == Set(taskIDs).count, "restricted: unknown task among \(taskIDs)")
        let kept = keep.map { budgets[$0] }
        var byID: [String: TokenizedExample] = [:]
        for example in kept.flatMap(\.examples) { byID[example.id] = tokensByID[example.id] }
        return TrainingTasks(budgets: kept, heldOut: keep.map { heldOut[$0] }, tokensByID: byID,
                             truncation: TruncationReport(Array(byID.values), maxLength: truncation.maxLength),
                             promptFormat: promptFormat)
    }

    /// Tokens of budget examples.
    public func tokens(_ examples: [TrainingExample]) -> [TokenizedExample] {
        examples.map { example in
            guard let t = tokensByID[example.id] else { preconditionFailure("example \(example.id) is not in the run's budget") }
            return t
        }
    }

    /// Task index of a task id.
    public func taskIndex(_ id: String) -> Int {
        guard let i = budgets.firstIndex(where: { $0.taskID == id }) else { preconditionFailure("unknown task \(id)") }
        return i
    }
}
