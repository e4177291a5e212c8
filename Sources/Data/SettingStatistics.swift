import Foundation

/// Table 3: tasks and training samples per setting, baselines (full pools) vs MeTA-LoRA
/// (budget × tasks). The paper's figures come with the setting; the measured ones count what
/// this mirror actually holds.
public struct SettingStatistics: Sendable, Equatable {
    public let setting: String
    public let paperTasks: Int
    public let tasksPresent: Int
    public let missingTasks: [String]
    /// Sum of the candidate pools (pool minus held-out) of the present tasks.
    public let baselineSamples: Int
    public let ourSamples: Int
    public let budgetPerTask: Int
    public let paperBaselineSamples: Int
    public let paperOurSamples: Int
    /// Candidate-pool size per task id.
    public let poolSizes: [String: Int]

    /// Loads every present task of the setting and counts.
    public static func measure(_ setting: TrainingSetting, directory: DataDirectory, budgetPerTask: Int? = nil,
                               heldOutCount: Int = TaskPool.defaultHeldOutCount) throws -> SettingStatistics {
        let pools = try setting.tasks.map { try TaskPool.load($0, from: directory, heldOutCount: heldOutCount) }
        return SettingStatistics(setting: setting, pools: pools, budgetPerTask: budgetPerTask ?? setting.paperBudgetPerTask)
    }

    public init(setting: TrainingSetting, pools: [TaskPool], budgetPerTask: Int) {
        self.setting = setting.id
        paperTasks = setting.paperTaskCount
        tasksPresent = pools.count
        missingTasks = setting.missing.map(\.name)
        poolSizes = Dictionary(uniqueKeysWithValues: pools.map { ($0.task.id, $0.candidates.count) })
        baselineSamples = pools.reduce(0) { $0 + $1.candidates.count }
        ourSamples = budgetPerTask * pools.count
        self.budgetPerTask = budgetPerTask
        paperBaselineSamples = setting.paperBaselineSamples
        paperOurSamples = setting.paperOurSamples
    }

    /// Our samples as the paper counts them: budget × the tasks the paper uses.
    public static func paperStyleOurSamples(_ setting: TrainingSetting, budgetPerTask: Int) -> Int {
        budgetPerTask * setting.paperTaskCount
    }
}

extension SettingStatistics {
    /// Table 3 for every setting (loads every pool of the mirror).
    public static func measureAll(directory: DataDirectory) throws -> [SettingStatistics] {
        try TaskRegistry.settings.map { try measure($0, directory: directory) }
    }

    /// One Table 3 line: measured figures with the paper's in parentheses.
    public var tableLine: String {
        "\(setting): tasks \(tasksPresent) (paper \(paperTasks)), baselines \(baselineSamples) (paper \(paperBaselineSamples)), ours \(ourSamples) (paper \(paperOurSamples))"
            + (missingTasks.isEmpty ? "" : "; missing \(missingTasks.joined(separator: ", "))")
    }
}
