import XCTest
import Engine
import Data
import Training
import TestSupport

/// Bad input fails with a clear error before any compute. The model path
/// does not exist in these requests: reaching the model loader would be a different error.
final class ValidationTests: XCTestCase {
    func request(_ method: TrainingMethod, tasks: [String]? = nil, configure: (inout TrainingHyperParameters) -> Void = { _ in }) -> TrainingRequest {
        var hyper = TrainingHyperParameters.defaults(for: method, budgetPerTask: 50)
        configure(&hyper)
        return TrainingRequest(method: method, setting: "five-task", tasks: tasks, modelPath: "/nonexistent/model.gguf",
                               dataDirectory: DataDirectory(root: Fixtures.packageRoot.appendingPathComponent("data")),
                               hyper: hyper, options: TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("validation")))
    }

    func expectError(_ request: TrainingRequest, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TrainingSession.run(request), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "error '\(error)' should mention '\(text)'", file: file, line: line)
        }
    }

    func testUnknownMethod() {
        XCTAssertThrowsError(try TrainingMethod.named("maml")) { error in
            XCTAssertTrue("\(error)".contains("unknown training method 'maml'"))
            XCTAssertTrue("\(error)".contains("meta-lora"))
        }
    }

    /// Every trained method names its loop: a custom driver, the episodic loop or an adapter.
    func testEveryMethodNamesHowItTrains() throws {
        XCTAssertNotNil(TrainingMethod.loraHub.descriptor.hooks.train)
        for method in [TrainingMethod.lora, .hydraLoRA, .rLoRA, .loraMoE] {
            XCTAssertNotNil(method.descriptor.adapter, method.rawValue)
        }
    }

    /// LoRAHub's own knobs, and a setting it cannot compose over (one task), fail before any compute.
    func testLoRAHubBadInput() {
        expectError(request(.loraHub) { $0.nLoras = 0 }, containing: "n_loras = 0 is below the minimum 1")
        expectError(request(.loraHub) { $0.searchSteps = 0 }, containing: "search_steps = 0 is below the minimum 1")
        expectError(request(.loraHub) { $0.batchSize = 0 }, containing: "batch_size = 0 is below the minimum 1")
        expectError(request(.loraHub, tasks: ["gsm8k"]), containing: "this run has 1 task(s)")
        XCTAssertThrowsError(try TrainingMethod.lora.descriptor.resolve(["search_steps": .int(40)], budgetPerTask: 50)) {
            XCTAssertTrue("\($0)".contains("lora has no hyper-parameter 'search_steps'"), "\($0)")
        }
    }

    func testUnknownTask() { expectError(request(.metaLoRA, tasks: ["gsm8k", "no-such-task"]), containing: "unknown task 'no-such-task'") }

    func testTooManyTasksPerIteration() {
        expectError(request(.metaLoRA) { $0.tasksPerIteration = 6 }, containing: "n=6 is larger than the number of tasks")
    }

    func testEpisodeLargerThanBudget() {
        expectError(request(.metaLoRA) { $0.supportSize = 30; $0.querySize = 30 }, containing: "larger than the per-task budget 50")
    }

    func testSelectionNeedsAPerTaskBudgetAndTargetTexts() {
        var full = request(.lora) { $0.budgetPerTask = nil }
        full.selection = TrainingDataSelection(method: .bm25, target: SelectionTarget(name: "bbh", texts: ["Sort the words"]))
        expectError(full, containing: "bm25 selection picks a number of examples per task")
        var empty = request(.lora)
        empty.selection = TrainingDataSelection(method: .dsir, target: SelectionTarget(name: "bbh", texts: []))
        expectError(empty, containing: "dsir selection has no target texts")
    }

    func testInvalidRanges() {
        expectError(request(.lora) { $0.batchSize = 0 }, containing: "batch_size = 0 is below the minimum 1")
        expectError(request(.metaLoRA) { $0.iterations = 0 }, containing: "iterations = 0 is below the minimum 1")
        expectError(request(.metaLoRA) { $0.rank = 0 }, containing: "rank = 0 is below the minimum 1")
    }

    /// Needs the data mirror: the pool is read (no model is loaded) and found too small.
    func testBudgetLargerThanPool() throws {
        let data = Fixtures.packageRoot.appendingPathComponent("data")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent(".").path) else { throw XCTSkip("no data mirror at \(data.path)") }
        // A budget larger than a task's pool trains on that whole pool (Flanv2's CB: 90 candidates under 100)
        // and the plan records each such task with the examples it has.
        let plan = try TrainingSession.plan(request(.lora) { $0.budgetPerTask = 50_000_000 })
        XCTAssertEqual(Set(plan.shortBudgets.keys), Set(plan.budgets.map(\.taskID)), "every pool is shorter than 50M")
        for b in plan.budgets { XCTAssertEqual(plan.shortBudgets[b.taskID], b.size) }
    }
}
