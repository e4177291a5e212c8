import Foundation
import Engine

/// One task's episode of an iteration (Eq. 2): disjoint support and query sets drawn from the
/// task's budget.
public struct Episode: Sendable, Equatable {
    public let taskID: String
    public let support: [TrainingExample]
    public let query: [TrainingExample]
}

/// Algorithm 1, lines 5 and 7: each iteration samples n distinct tasks, then for each a support
/// set S_i and a query set Q_i, disjoint, from that task's budget. All randomness comes from the
/// caller's `SplitMix64`, whose state the trainer checkpoints.
public struct EpisodeSampler: Sendable {
    public let budgets: [TaskBudget]
    public let tasksPerIteration: Int
    public let supportSize: Int
    public let querySize: Int

    /// Validates n ≤ number of tasks and n_s + n_q ≤ every budget before any compute.
    public init(budgets: [TaskBudget], tasksPerIteration: Int, supportSize: Int, querySize: Int) throws {
        try DataValidation.checkEpisode(taskCount: budgets.count, tasksPerIteration: tasksPerIteration,
                                        supportSize: supportSize, querySize: querySize,
                                        smallestBudget: budgets.map(\.size).min() ?? 0)
        self.budgets = budgets
        self.tasksPerIteration = tasksPerIteration
        self.supportSize = supportSize
        self.querySize = querySize
    }

    /// Indices into `budgets` of the n tasks of this iteration, distinct, in draw order.
    public func sampleTasks(rng: inout SplitMix64) -> [Int] {
        Sampling.choose(tasksPerIteration, from: budgets.count, rng: &rng)
    }

    /// Support and query sets of one task: n_s + n_q distinct budget examples, the first n_s
    /// the support set, the rest the query set (so they are disjoint).
    public func episode(task index: Int, rng: inout SplitMix64) -> Episode {
        let budget = budgets[index]
        let picks = Sampling.choose(supportSize + querySize, from: budget.size, rng: &rng).map { budget.examples[$0] }
        return Episode(taskID: budget.taskID, support: Array(picks[..<supportSize]), query: Array(picks[supportSize...]))
    }

    /// One iteration's episodes: sample the tasks, then each task's sets.
    public func nextIteration(rng: inout SplitMix64) -> [Episode] {
        sampleTasks(rng: &rng).map { episode(task: $0, rng: &rng) }
    }
}

/// The LoRA baseline's data order: all tasks' examples mixed, reshuffled every epoch, cut into
/// batches of `batchSize` (8 in appendix A.1.2); the last batch of an epoch may be short.
/// The generator state is public so a checkpoint can resume mid-run.
public struct MixedTaskBatches: Sequence, IteratorProtocol, Sendable {
    public let examples: [TrainingExample]
    public let batchSize: Int
    public let epochs: Int
    public private(set) var rng: SplitMix64
    public private(set) var epoch = 0
    public private(set) var position = 0
    private var order: [Int] = []

    public init(examples: [TrainingExample], batchSize: Int = 8, epochs: Int = 1, seed: UInt64) throws {
        guard batchSize > 0 else { throw DataError.invalidParameter("batch size must be positive (got \(batchSize))") }
        guard epochs > 0 else { throw DataError.invalidParameter("epochs must be positive (got \(epochs))") }
        guard !examples.isEmpty else { throw DataError.invalidParameter("no training examples") }
        self.examples = examples
        self.batchSize = batchSize
        self.epochs = epochs
        self.rng = SplitMix64(seed: seed)
        self.order = Sampling.choose(examples.count, from: examples.count, rng: &rng)
    }

    /// Batches per epoch (the last one may be short).
    public var batchesPerEpoch: Int { (examples.count + batchSize - 1) / batchSize }

    public mutating func next() -> [TrainingExample]? {
        if position >= examples.count {
            epoch += 1
            guard epoch < epochs else { return nil }
            order = Sampling.choose(examples.count, from: examples.count, rng: &rng)
            position = 0
        }
        let end = Swift.min(position + batchSize, examples.count)
        defer { position = end }
        return order[position..<end].map { examples[$0] }
    }
}
