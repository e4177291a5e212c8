import Foundation
import XCTest
import Data
import Engine

/// Budgets, held-out sets, episodes and the mixed-task iterator on synthetic pools (no mirror).
final class SamplingTests: XCTestCase {
    static func task(_ id: String) -> TaskSpec {
        TaskSpec(id: id, name: id, cluster: "test", sourceFiles: [], instruction: "Say the number.", targetForm: "the number") { _, spec in
            (1...200).map { spec.example(file: "synthetic", row: $0, input: "n = \($0)", output: "\($0)") }
        }
    }

    static func pool(_ id: String) throws -> TaskPool {
        try TaskPool.load(task(id), from: DataDirectory(path: "/nonexistent"))
    }

    func testBudgetDrawIsDeterministicBySeedAndRecordedById() throws {
        let pool = try Self.pool("alpha")
        let a = try TaskBudget.draw(from: pool, size: 50, seed: 7)
        let b = try TaskBudget.draw(from: pool, size: 50, seed: 7)
        let c = try TaskBudget.draw(from: pool, size: 50, seed: 8)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.exampleIDs, c.exampleIDs)
        XCTAssertEqual(Set(a.exampleIDs).count, 50)
        XCTAssertEqual(a.exampleIDs, a.examples.map(\.id))
        XCTAssertEqual(try TaskBudget.restore(ids: a.exampleIDs, from: pool, seed: 7), a)
        // A task's draw depends on (seed, task id) only: another task with the same rows differs.
        let other = try TaskBudget.draw(from: try Self.pool("beta"), size: 50, seed: 7)
        XCTAssertNotEqual(a.exampleIDs.map { $0.split(separator: ":").last! }, other.exampleIDs.map { $0.split(separator: ":").last! })
    }

    func testHeldOutIsFixedAndDisjointFromEveryBudget() throws {
        let pool = try Self.pool("alpha")
        XCTAssertEqual(pool.heldOut.count, 32)
        XCTAssertEqual(pool.candidates.count, 168)
        XCTAssertEqual(try Self.pool("alpha").heldOut, pool.heldOut, "held-out set does not depend on anything but the task")
        let held = Set(pool.heldOut.map(\.id))
        for seed in UInt64(0)..<20 {
            let budget = try TaskBudget.draw(from: pool, size: 100, seed: seed)
            XCTAssertTrue(held.isDisjoint(with: budget.exampleIDs), "seed \(seed)")
        }
        XCTAssertTrue(held.isDisjoint(with: TaskBudget.full(pool).exampleIDs))
        // Tiny pools keep three quarters of their rows.
        let tiny = TaskPool(task: Self.task("tiny"), examples: Array(pool.examples.prefix(20)))
        XCTAssertEqual(tiny.heldOut.count, 5)
    }

    func testSupportAndQueryAreDisjointSubsetsOfTheBudget() throws {
        let budgets = try ["a", "b", "c"].map { try TaskBudget.draw(from: try Self.pool($0), size: 50, seed: 1) }
        let sampler = try EpisodeSampler(budgets: budgets, tasksPerIteration: 2, supportSize: 8, querySize: 8)
        var rng = SplitMix64(seed: 42)
        for _ in 0..<100 {
            let episodes = sampler.nextIteration(rng: &rng)
            XCTAssertEqual(episodes.count, 2)
            XCTAssertNotEqual(episodes[0].taskID, episodes[1].taskID, "n distinct tasks per iteration")
            for e in episodes {
                let budget = Set(budgets.first { $0.taskID == e.taskID }!.exampleIDs)
                XCTAssertEqual(e.support.count, 8)
                XCTAssertEqual(e.query.count, 8)
                XCTAssertTrue(Set(e.support.map(\.id)).isDisjoint(with: e.query.map(\.id)))
                XCTAssertTrue(budget.isSuperset(of: e.support.map(\.id) + e.query.map(\.id)))
            }
        }
        // Same generator state, same episodes.
        var r1 = SplitMix64(seed: 9), r2 = SplitMix64(seed: 9)
        XCTAssertEqual(sampler.nextIteration(rng: &r1), sampler.nextIteration(rng: &r2))
    }

    func testValidationErrorsComeBeforeAnyCompute() throws {
        let budgets = try ["a", "b"].map { try TaskBudget.draw(from: try Self.pool($0), size: 20, seed: 1) }
        XCTAssertThrowsError(try EpisodeSampler(budgets: budgets, tasksPerIteration: 3, supportSize: 8, querySize: 8)) {
            XCTAssertEqual($0 as? DataError, .tooManyTasksPerIteration(requested: 3, available: 2))
        }
        XCTAssertThrowsError(try EpisodeSampler(budgets: budgets, tasksPerIteration: 2, supportSize: 12, querySize: 9)) {
            XCTAssertEqual($0 as? DataError, .episodeLargerThanBudget(supportSize: 12, querySize: 9, budget: 20))
            XCTAssertTrue("\($0)".contains("12 + query size 9 = 21"))
        }
        XCTAssertThrowsError(try TaskBudget.draw(from: try Self.pool("a"), size: 169, seed: 1)) {
            XCTAssertEqual($0 as? DataError, .budgetLargerThanPool(task: "a", budget: 169, available: 168))
        }
        XCTAssertThrowsError(try TaskRegistry.setting("six-task")) { error in
            XCTAssertTrue("\(error)".contains("five-task, five-task-winogrande, flanv2-43, multilingual"), "\(error)")
        }
        XCTAssertThrowsError(try TaskRegistry.task("gsm9k")) { error in
            guard case DataError.unknownTask(let name, let valid) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "gsm9k")
            XCTAssertTrue(valid.contains("gsm8k"))
        }
        // DataPlan checks names, n and n_s + n_q before reading any file.
        let nowhere = DataDirectory(path: "/nonexistent")
        XCTAssertThrowsError(try DataPlan.build(setting: "five-task", tasks: ["gsm8k", "piqa"], directory: nowhere, budgetPerTask: 50, seed: 1,
                                                episode: (3, 8, 8))) {
            XCTAssertEqual($0 as? DataError, .tooManyTasksPerIteration(requested: 3, available: 2))
        }
        XCTAssertThrowsError(try DataPlan.build(setting: "five-task", directory: nowhere, budgetPerTask: 10, seed: 1, episode: (2, 8, 8))) {
            XCTAssertEqual($0 as? DataError, .episodeLargerThanBudget(supportSize: 8, querySize: 8, budget: 10))
        }
        XCTAssertThrowsError(try DataPlan.build(setting: "five-task", tasks: ["winogrande"], directory: nowhere, budgetPerTask: 50, seed: 1)) {
            guard case DataError.unknownTask("winogrande", _) = $0 else { return XCTFail("\($0)") }
        }
    }

    func testMixedTaskBatchesCoverEveryExampleOncePerEpoch() throws {
        let examples = try ["a", "b", "c"].flatMap { try TaskBudget.draw(from: try Self.pool($0), size: 10, seed: 3).examples }
        var batches = try MixedTaskBatches(examples: examples, batchSize: 8, epochs: 2, seed: 5)
        XCTAssertEqual(batches.batchesPerEpoch, 4)
        var all: [[TrainingExample]] = []
        while let b = batches.next() { all.append(b) }
        XCTAssertEqual(all.map(\.count), [8, 8, 8, 6, 8, 8, 8, 6])
        let firstEpoch = all[0..<4].flatMap { $0 }.map(\.id), secondEpoch = all[4...].flatMap { $0 }.map(\.id)
        XCTAssertEqual(Set(firstEpoch), Set(examples.map(\.id)))
        XCTAssertEqual(Set(secondEpoch), Set(examples.map(\.id)))
        XCTAssertNotEqual(firstEpoch, secondEpoch, "reshuffled each epoch")
        XCTAssertNotEqual(firstEpoch, examples.map(\.id), "shuffled, not in task order")
        XCTAssertGreaterThan(Set(all[0].map(\.task)).count, 1, "tasks are mixed within a batch")
        let again = try MixedTaskBatches(examples: examples, batchSize: 8, epochs: 2, seed: 5)
        XCTAssertEqual(Array(again).flatMap { $0 }.map(\.id), all.flatMap { $0 }.map(\.id))
    }

    func testFiveTaskPlanOnTheMirror() throws {
        let dir = try Mirror.directory()
        let plan = try DataPlan.build(setting: "five-task", directory: dir, budgetPerTask: 50, seed: 17, episode: (2, 8, 8))
        XCTAssertEqual(plan.budgets.map(\.size), [50, 50, 50, 50, 50])
        XCTAssertEqual(plan.heldOut.count, 5 * 32)
        XCTAssertTrue(Set(plan.heldOut.map(\.id)).isDisjoint(with: plan.trainingExamples.map(\.id)))
        let again = try DataPlan.build(setting: "five-task", directory: dir, budgetPerTask: 50, seed: 17)
        XCTAssertEqual(again.recordedBudgets, plan.recordedBudgets)
        XCTAssertThrowsError(try DataPlan.build(setting: "flanv2-43", tasks: ["cb"], directory: dir, budgetPerTask: 100, seed: 1)) {
            XCTAssertEqual($0 as? DataError, .budgetLargerThanPool(task: "cb", budget: 100, available: 90))
        }
        let lenient = try DataPlan.build(setting: "flanv2-43", tasks: ["cb", "copa"], directory: dir, budgetPerTask: 100, seed: 1, shortPools: .useWholePool)
        XCTAssertEqual(lenient.shortBudgets, ["cb": 90])
        XCTAssertEqual(lenient.budgets.map(\.size), [90, 100])
        let record = lenient.record(promptFormat: .alpaca)
        XCTAssertEqual(record["short_budgets"], "cb=90")
        XCTAssertEqual(record["prompt_format"], "alpaca")
        XCTAssertTrue(record["coverage"]!.contains("42 of 43"))
        XCTAssertTrue(record["notes"]!.contains("DROP"))
    }
}
