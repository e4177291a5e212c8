import Foundation
import XCTest
import Harness
import Evaluation
import TestSupport

/// The benchmark README "Extending: adding a benchmark" adds, through the harness: a copy of the
/// shipped definitions with one file and one line more (`METALORA_BENCHMARKS`), a spec naming it,
/// then plan → run (the tiny fixture model, base cell) → table.
final class AddBenchmarkHarnessTests: HarnessTestCase {
    static let definition = """
        name: quiz
        version: "1"
        summary: "quiz, 1 subject, test split, zero-shot"
        chance: 0.25
        chance_rationale: "four options per question"
        format: mmluCSV
        split: test
        subsets: {names: [physics], path: "quiz/{name}_test.csv", few_shot_path: "quiz/{name}_dev.csv"}
        few_shot: {source: fewShotSplitFirstN, count: 0, selection: "zero-shot"}
        template: mmlu
        target_delimiter: " "
        fewshot_delimiter: "\\n\\n"
        choices: {kind: letters, letters: [A, B, C, D]}
        scoring: {rule: loglikelihood}
        answer_extraction: none
        metrics: [acc]
        aggregation: {primary: micro, rationale: "mean over questions"}
        """

    func testPlanRunTableOfAnAddedBenchmark() throws {
        let model = try Fixtures.require("tiny-llama/model-f32.gguf").path
        let root = try TestEnv.tempDir()
        let fm = FileManager.default
        // Steps 1 and 2: the definition and its line, in a copy of the shipped folder.
        let definitions = root.appendingPathComponent("benchmarks")
        try fm.copyItem(at: try BenchmarkCatalog.builtIn().directory, to: definitions)
        try Self.definition.write(to: definitions.appendingPathComponent("quiz.yaml"), atomically: true, encoding: .utf8)
        let list = definitions.appendingPathComponent(BenchmarkCatalog.listFile)
        try (try String(contentsOf: list, encoding: .utf8) + "  - quiz.yaml\n").write(to: list, atomically: true, encoding: .utf8)
        setenv(BenchmarkCatalog.environmentKey, definitions.path, 1)
        defer { unsetenv(BenchmarkCatalog.environmentKey) }

        // Fixture data, a spec, a profile and a table layout in a package-like root.
        let data = root.appendingPathComponent("data/quiz")
        try fm.createDirectory(at: data, withIntermediateDirectories: true)
        let header = "question,choice0,choice1,choice2,choice3,answer\n"
        try (header + "What falls?,apples,clouds,stars,light,0\n").write(to: data.appendingPathComponent("physics_dev.csv"), atomically: true, encoding: .utf8)
        try (header + "What is heavier?,lead,air,foam,smoke,0\nWhat is hot?,ice,snow,fire,frost,2\n")
            .write(to: data.appendingPathComponent("physics_test.csv"), atomically: true, encoding: .utf8)
        let paths = try TestEnv.packageRoot(spec: TestEnv.table9Spec("""
            benchmarks:
              - {name: quiz, shots: 0}
            methods:
              - {name: base, label: Base}
            """), profiles: TestEnv.proofProfiles(model: model),
            layout: TestEnv.table9Layout(title: "The added quiz benchmark", column: "{header: Quiz, benchmark: quiz}",
                                         row: "{header: Base, method: Base}"), root: root)

        let plan = try HarnessCommands.plan(spec: "experiments/table9.yaml", profile: "proof", paths: paths)
        XCTAssertTrue(plan.contains("1 cells") || plan.contains("1 cell"), plan)
        let executor = EngineCellExecutor(dataDirectory: root.appendingPathComponent("data").path) { _ in }
        let summary = try HarnessCommands.run(spec: "experiments/table9.yaml", profile: "proof", executor: executor, paths: paths) { _ in }
        XCTAssertEqual(summary.ran, 1)
        XCTAssertEqual(summary.failed, 0)
        let rendered = try HarnessCommands.table("9", profile: "proof", paths: paths)
        let markdown = try String(contentsOf: try XCTUnwrap(rendered.files.first { $0.pathExtension == "md" }), encoding: .utf8)
        XCTAssertTrue(markdown.contains("Quiz") && markdown.contains("Base"), markdown)
        // Two items: the accuracy is 0, 50 or 100 percent.
        XCTAssertTrue(["0.00", "50.00", "100.00"].contains { markdown.contains($0) }, markdown)
    }
}
