import Foundation
import struct Data.DataDirectory
import XCTest
import Evaluation

/// A benchmark is one definition file plus one line in the benchmark list: the steps of README
/// "Extending: adding a benchmark", done here on a copy of the shipped definitions over data the
/// test writes (a two-subject, four-option quiz in MMLU's CSV layout).
final class AddBenchmarkTests: XCTestCase {
    static let definition = """
        # A four-option quiz in MMLU's CSV layout, 1-shot from its dev file.
        name: quiz
        version: "1"
        summary: "quiz, 2 subjects, test split, 1-shot from dev"
        chance: 0.25
        chance_rationale: "four options per question"
        format: mmluCSV
        split: test
        subsets:
          names: [physics, history]
          path: "quiz/{name}_test.csv"
          few_shot_path: "quiz/{name}_dev.csv"
        few_shot: {source: fewShotSplitFirstN, count: 1, selection: "first row of the dev file"}
        template: mmlu
        target_delimiter: " "
        fewshot_delimiter: "\\n\\n"
        choices: {kind: letters, letters: [A, B, C, D]}
        scoring: {rule: loglikelihood}
        answer_extraction: none
        metrics: [acc]
        aggregation: {primary: micro, rationale: "mean over questions"}
        """

    /// The fixture data: per subject a dev row (the shot) and three test rows.
    static func writeData(to dir: URL) throws {
        let header = "question,choice0,choice1,choice2,choice3,answer\n"
        let files = [
            "quiz/physics_dev.csv": header + "What falls?,apples,clouds,stars,light,0\n",
            "quiz/physics_test.csv": header + "What is heavier?,lead,air,foam,smoke,0\nWhat is hot?,ice,snow,fire,frost,2\nWhat is wet?,sand,water,dust,ash,1\n",
            "quiz/history_dev.csv": header + "Who wrote?,scribes,rocks,rivers,winds,0\n",
            "quiz/history_test.csv": header + "What came first?,stone,iron,steel,plastic,0\nWhat is old?,news,ruins,apps,jets,1\nWho ruled?,kings,clocks,forks,hats,0\n",
        ]
        for (path, text) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    /// Step 1 and 2: a copy of the shipped folder with `quiz.yaml` added and one line in `benchmarks.yaml`.
    static func definitionsWithQuiz(in root: URL) throws -> URL {
        let shipped = try BenchmarkCatalog.builtIn().directory
        let dir = root.appendingPathComponent("benchmarks")
        try FileManager.default.copyItem(at: shipped, to: dir)
        try definition.write(to: dir.appendingPathComponent("quiz.yaml"), atomically: true, encoding: .utf8)
        let list = dir.appendingPathComponent(BenchmarkCatalog.listFile)
        try (try String(contentsOf: list, encoding: .utf8) + "  - quiz.yaml\n").write(to: list, atomically: true, encoding: .utf8)
        return dir
    }

    func testOneFileAndOneLineAddABenchmark() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-quiz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try Self.writeData(to: data)
        let catalog = try BenchmarkCatalog.active(environment: [BenchmarkCatalog.environmentKey: try Self.definitionsWithQuiz(in: root).path])

        XCTAssertEqual(catalog.names.last, "quiz")
        XCTAssertEqual(Array(catalog.names.dropLast()), try BenchmarkCatalog.builtIn().names, "the shipped benchmarks are all still there")
        let quiz = try catalog.definition(name: "quiz")
        XCTAssertEqual(quiz.chance, 0.25)

        // Step 3: it runs. The backend prefers " A": physics 1 of 3 right, history 2 of 3.
        let backend = ScriptedBackend(loglikelihood: { $0.continuation == " A" ? -1 : -2 })
        let report = try Evaluator.run(quiz, backend: backend, options: EvaluationOptions(dataDirectory: DataDirectory(root: data)))
        XCTAssertEqual(report.n, 6)
        XCTAssertEqual(report.subsets["physics"]?.acc ?? -1, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(report.subsets["history"]?.acc ?? -1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(report.acc, 0.5, accuracy: 1e-12)
        XCTAssertEqual(backend.loglikelihoodRequests.first?.context,
                       "The following are multiple choice questions (with answers) about physics.\n\n"
                       + "What falls?\nA. apples\nB. clouds\nC. stars\nD. light\nAnswer: A\n\n"
                       + "What is heavier?\nA. lead\nB. air\nC. foam\nD. smoke\nAnswer:")
    }

    func testBadDefinitionsNameTheFileAndField() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-quiz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try Self.definitionsWithQuiz(in: root)
        let quiz = dir.appendingPathComponent("quiz.yaml")
        func expectFailure(_ text: String, mentions: [String]) throws {
            try text.write(to: quiz, atomically: true, encoding: .utf8)
            assertEvaluationError(try BenchmarkCatalog(directory: dir), mentions: ["quiz.yaml"] + mentions)
        }
        try expectFailure(Self.definition.replacingOccurrences(of: "chance: 0.25\n", with: ""), mentions: ["chance", "missing"])
        try expectFailure(Self.definition + "\nfew_shots: 3\n", mentions: ["unknown key 'few_shots'"])
        try expectFailure(Self.definition.replacingOccurrences(of: "rule: loglikelihood", with: "rule: likelihood"), mentions: ["scoring.rule", "generate_until"])
        try expectFailure(Self.definition.replacingOccurrences(of: "template: mmlu", with: "template: mmlu_v2"), mentions: ["template"])
        try expectFailure("include: quiz.yaml\n", mentions: ["include cycle"])
    }
}
