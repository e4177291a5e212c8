import XCTest
import Models
import Evaluation
import TestSupport

/// Prefix reuse (KV cache shared across a subject's questions and a question's choices) must not
/// change any score beyond float32 noise, nor any pick: real MMLU 5-shot items, SmolLM2.
final class PrefixReuseTests: XCTestCase {
    func testReuseOnAndOffGiveTheSameScoresAndPicks() throws {
        let model = try MCScoringFixtureTests.cachedModel ?? LanguageModel(url: Fixtures.smolLM2())
        MCScoringFixtureTests.cachedModel = model
        let data = Fixtures.packageRoot.appendingPathComponent("data")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("mmlu").path) else {
            throw XCTSkip("data mirror not linked at \(data.path): run `make setup`")
        }
        var reports: [EvaluationReport] = []
        for reuse in [true, false] {
            let backend = try ModelBackend(model: model, prefixReuse: reuse)
            let options = EvaluationOptions(dataDirectory: DataDirectory(url: data),
                                            subsets: ["abstract_algebra", "college_biology"], limit: 6)
            reports.append(try Evaluator.run(BenchmarkRegistry.definition(name: "mmlu"), backend: backend, options: options))
        }
        let (on, off) = (reports[0], reports[1])
        XCTAssertEqual(on.n, 12)
        XCTAssertEqual(on.samples.map(\.pred), off.samples.map(\.pred), "picks differ with reuse on/off")
        var worst = 0.0
        for (a, b) in zip(on.samples, off.samples) {
            for (x, y) in zip(a.choiceLoglikelihoods ?? [], b.choiceLoglikelihoods ?? []) { worst = max(worst, abs(x - y)) }
        }
        XCTAssertLessThan(worst, 1e-3)
        XCTAssertEqual(on.acc, off.acc)
        print("prefix reuse on/off: worst |loglik diff| \(worst) nats over \(on.n) MMLU items")
    }
}
