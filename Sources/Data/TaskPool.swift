import Foundation
import Engine

/// A task's loaded pool split into a fixed held-out evaluation set and the candidates that
/// budgets are drawn from.
///
/// The held-out set is a seeded draw that depends only on the task id (never on the run
/// seed), so every run and every method evaluates `final_eval_loss` on the same examples, and
/// it lies outside any budget by construction: held-out losses compare methods on examples none
/// of them trained on. A draw rather than "the last rows" because several pools are
/// ordered by topic or label (WebNLG by category, MultiRC by passage).
public struct TaskPool: Sendable {
    public static let defaultHeldOutCount = 32
    /// Fixed seed of the held-out draws ("MeTALoRA" in ASCII).
    public static let heldOutSeed: UInt64 = 0x4D65_5441_4C6F_5241

    public let task: TaskSpec
    public let examples: [TrainingExample]
    public let heldOut: [TrainingExample]
    /// `examples` minus `heldOut`, in pool order.
    public let candidates: [TrainingExample]

    /// `heldOutCount` is capped at a quarter of the pool so tiny pools keep most of their rows.
    public init(task: TaskSpec, examples: [TrainingExample], heldOutCount: Int = TaskPool.defaultHeldOutCount) {
        self.task = task
        self.examples = examples
        let count = min(heldOutCount, examples.count / 4)
        var rng = Sampling.generator(seed: TaskPool.heldOutSeed, task: task.id)
        let held = Set(Sampling.choose(count, from: examples.count, rng: &rng))
        self.heldOut = held.sorted().map { examples[$0] }
        self.candidates = examples.indices.filter { !held.contains($0) }.map { examples[$0] }
    }

    public static func load(_ task: TaskSpec, from directory: DataDirectory, heldOutCount: Int = defaultHeldOutCount) throws -> TaskPool {
        TaskPool(task: task, examples: try task.loadPool(from: directory), heldOutCount: heldOutCount)
    }
}

/// A task's data budget: `size` examples drawn once, with the run seed, from the pool's
/// candidates, and recorded by example id so a run can be replayed or resumed exactly.
public struct TaskBudget: Sendable, Codable, Equatable {
    public let taskID: String
    public let seed: UInt64
    public let exampleIDs: [String]
    public let examples: [TrainingExample]

    public var size: Int { examples.count }

    public static func draw(from pool: TaskPool, size: Int, seed: UInt64) throws -> TaskBudget {
        guard size > 0 else { throw DataError.invalidParameter("budget must be positive (got \(size))") }
        guard size <= pool.candidates.count else {
            throw DataError.budgetLargerThanPool(task: pool.task.id, budget: size, available: pool.candidates.count)
        }
        var rng = Sampling.generator(seed: seed, task: pool.task.id)
        let chosen = Sampling.choose(size, from: pool.candidates.count, rng: &rng).map { pool.candidates[$0] }
        return TaskBudget(taskID: pool.task.id, seed: seed, exampleIDs: chosen.map(\.id), examples: chosen)
    }

    /// The whole candidate pool as the "budget" (the baselines' full-data runs).
    public static func full(_ pool: TaskPool) -> TaskBudget {
        TaskBudget(taskID: pool.task.id, seed: 0, exampleIDs: pool.candidates.map(\.id), examples: pool.candidates)
    }

    /// A budget rebuilt from recorded ids (e.g. from a checkpoint), checked against the pool.
    public static func restore(ids: [String], from pool: TaskPool, seed: UInt64) throws -> TaskBudget {
        let byID = Dictionary(pool.candidates.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let examples = try ids.map { id -> TrainingExample in
            guard let e = byID[id] else {
                throw DataError.invalidParameter("recorded budget example '\(id)' is not in the candidate pool of task '\(pool.task.id)'")
            }
            return e
        }
        return TaskBudget(taskID: pool.task.id, seed: seed, exampleIDs: ids, examples: examples)
    }
}
