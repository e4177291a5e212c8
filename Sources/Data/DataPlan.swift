import Foundation
import Engine

/// Everything a training run needs from the data layer, resolved and validated up front:
/// the setting, each task's pool (with its held-out set) and each task's recorded budget.
public struct DataPlan: Sendable {
    public let setting: TrainingSetting
    public let pools: [TaskPool]
    public let budgets: [TaskBudget]
    /// nil when the run uses the full pools (baselines on full data).
    public let budgetPerTask: Int?
    public let seed: UInt64
    /// Tasks whose candidate pool was smaller than the budget and that, under
    /// `.useWholePool`, got all of it (task id → examples used). Empty under `.error`.
    public var shortBudgets: [String: Int] = [:]
    /// Set when the budgets were selected for a target (Table 13) rather than drawn at random.
    public var selection: PlanSelection?

    /// What to do when a task's pool cannot fill the budget (e.g. CB's 120 examples under the
    /// Flanv2 budget of 100 plus its held-out set).
    public enum ShortPoolPolicy: Sendable {
        /// Fail before any compute when a budget is larger than a task's pool (the default).
        case error
        /// Use the whole candidate pool of that task and record it in `shortBudgets`.
        case useWholePool
    }

    /// Builds a plan. Cheap checks (setting/task names, n, n_s + n_q) run before any file is
    /// read; pool-size checks run after loading, still before any compute.
    ///
    /// - Parameters:
    ///   - tasks: restrict the setting to these task ids (nil = all its tasks).
    ///   - budgetPerTask: examples per task (nil = the full candidate pool).
    ///   - episode: (n, n_s, n_q) for MeTA-LoRA-style runs, validated against tasks and budget.
    public static func build(setting settingID: String, tasks taskIDs: [String]? = nil, directory: DataDirectory,
                             budgetPerTask: Int?, seed: UInt64,
                             episode: (tasksPerIteration: Int, supportSize: Int, querySize: Int)? = nil,
                             heldOutCount: Int = TaskPool.defaultHeldOutCount,
                             shortPools: ShortPoolPolicy = .error) throws -> DataPlan {
        let setting = try TaskRegistry.setting(settingID)
        let specs = try taskIDs.map { try $0.map(setting.task) } ?? setting.tasks
        if let budget = budgetPerTask, budget <= 0 { throw DataError.invalidParameter("budget must be positive (got \(budget))") }
        if let e = episode {
            try DataValidation.checkEpisode(taskCount: specs.count, tasksPerIteration: e.tasksPerIteration,
                                            supportSize: e.supportSize, querySize: e.querySize,
                                            smallestBudget: budgetPerTask ?? Int.max)
        }
        let pools = try specs.map { try TaskPool.load($0, from: directory, heldOutCount: heldOutCount) }
        var shortBudgets: [String: Int] = [:]
        let budgets = try pools.map { pool -> TaskBudget in
            guard let size = budgetPerTask else { return TaskBudget.full(pool) }
            if size > pool.candidates.count, shortPools == .useWholePool {
                shortBudgets[pool.task.id] = pool.candidates.count
                return try TaskBudget.draw(from: pool, size: pool.candidates.count, seed: seed)
            }
            return try TaskBudget.draw(from: pool, size: size, seed: seed)
        }
        if let e = episode {
            try DataValidation.checkEpisode(taskCount: specs.count, tasksPerIteration: e.tasksPerIteration,
                                            supportSize: e.supportSize, querySize: e.querySize,
                                            smallestBudget: budgets.map(\.size).min() ?? 0)
        }
        return DataPlan(setting: setting, pools: pools, budgets: budgets, budgetPerTask: budgetPerTask, seed: seed,
                        shortBudgets: shortBudgets)
    }

    /// All held-out examples, task by task (the fixed evaluation set of `final_eval_loss`).
    public var heldOut: [TrainingExample] { pools.flatMap(\.heldOut) }

    /// All budget examples of all tasks (the LoRA baseline's mixed training data).
    public var trainingExamples: [TrainingExample] { budgets.flatMap(\.examples) }

    /// The budget ids per task, for the run record.
    public var recordedBudgets: [String: [String]] {
        Dictionary(uniqueKeysWithValues: budgets.map { ($0.taskID, $0.exampleIDs) })
    }

    /// `recordedBudgets` as one JSON object with sorted keys (ids in budget order).
    public var budgetIDsJSON: String {
        let data = try! JSONSerialization.data(withJSONObject: recordedBudgets, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

extension DataPlan {
    /// The data side of a run record: what was trained on and every substitution behind it,
    /// so a result can never be mistaken for one on the paper's exact data.
    public func record(promptFormat: PromptFormat? = nil) -> [String: String] {
        var r: [String: String] = [
            "setting": setting.id,
            "coverage": setting.coverage,
            "tasks": pools.map(\.task.id).joined(separator: ","),
            "budget_per_task": budgetPerTask.map(String.init) ?? "full",
            "seed": String(seed),
            "held_out_per_task": pools.map { "\($0.task.id)=\($0.heldOut.count)" }.joined(separator: ","),
            "notes": setting.notes.joined(separator: " | "),
        ]
        if !setting.substitutions.isEmpty { r["substitutions"] = setting.substitutions.joined(separator: " | ") }
        if !shortBudgets.isEmpty { r["short_budgets"] = shortBudgets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") }
        if let promptFormat { r["prompt_format"] = promptFormat.name }
        // Drawn or selected budgets are recorded by example id (a full pool is named by "full").
        if budgetPerTask != nil { r["budget_ids"] = budgetIDsJSON }
        r["selection"] = budgetPerTask == nil ? "full" : "random"
        if let selection { r.merge(selection.record) { _, new in new } }
        return r
    }
}
