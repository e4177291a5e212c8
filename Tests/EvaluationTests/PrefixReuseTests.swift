import struct Data.DataDirectory
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
            let options = EvaluationOptions(dataDirectory: DataDirectory(root: data),
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

/// The windows of the reuse path (a sharing run, loose items packed side by side, multi-token
/// continuations branched off their item, single items) score exactly what whole sequences score.
final class PrefixReuseWindowTests: XCTestCase {
    func testMixedRequestsScoreTheSameWithAndWithoutReuse() throws {
        let model = try MCScoringFixtureTests.cachedModel ?? LanguageModel(url: Fixtures.smolLM2())
        MCScoringFixtureTests.cachedModel = model
        let fewShot = (1...12).map { "Question \($0): what is \($0) plus \($0 + 1)?\nAnswer: \(2 * $0 + 1)\n\n" }.joined()
        var requests: [LoglikelihoodRequest] = []
        // A sharing run: five questions behind one long few-shot block, single-token choices.
        for n in 0..<5 {
            for letter in [" A", " B", " C"] {
                requests.append(LoglikelihoodRequest(context: fewShot + "Question: pick the letter for \(n * 7)?\nAnswer:", continuation: letter))
            }
        }
        // Loose zero-shot items with multi-token endings (XStoryCloze-like) and option contexts
        // sharing one continuation (XWinograd-like).
        let stories = ["The cat sat by the window all morning.", "She packed her bags and left for the airport.",
                       "Rain fell on the quiet town.", "He opened the old wooden box carefully."]
        for story in stories {
            requests.append(LoglikelihoodRequest(context: story, continuation: " Then it slept for hours in the warm sun."))
            requests.append(LoglikelihoodRequest(context: story, continuation: " Nothing happened."))
        }
        for option in ["the trophy", "the suitcase"] {
            requests.append(LoglikelihoodRequest(context: "The trophy does not fit into the suitcase because " + option,
                                                 continuation: " is too large."))
        }
        // A lone item after the loose ones.
        requests.append(LoglikelihoodRequest(context: "Paris is the capital of", continuation: " France"))
        var scores: [[LoglikelihoodResult]] = []
        for reuse in [true, false] {
            let backend = try ModelBackend(model: model, prefixReuse: reuse)
            backend.itemsPerForward = 3   // several windows per segment
            let planned = try backend.plannedCost(requests)
            scores.append(try backend.loglikelihoods(requests) { _ in })
            // `--estimate` counts, without running, exactly the work the run then does.
            XCTAssertEqual(planned, backend.cost, "planned vs counted work, reuse \(reuse)")
            XCTAssertGreaterThan(planned.attentionPairs, 0)
        }
        var worst = 0.0
        for (a, b) in zip(scores[0], scores[1]) {
            worst = max(worst, abs(a.loglikelihood - b.loglikelihood))
            XCTAssertEqual(a.continuationTokenCount, b.continuationTokenCount)
            XCTAssertEqual(a.isGreedy, b.isGreedy)
        }
        XCTAssertLessThan(worst, 1e-3)
        print("reuse windows on/off: worst |loglik diff| \(worst) nats over \(requests.count) mixed requests")
    }

    /// Questions on two passages, interleaved as MMLU's history subjects interleave them: scored in
    /// token order, each passage is computed once, and the scores equal whole-sequence scores.
    func testInterleavedPassagesAreComputedOnce() throws {
        let model = try MCScoringFixtureTests.cachedModel ?? LanguageModel(url: Fixtures.smolLM2())
        MCScoringFixtureTests.cachedModel = model
        let header = "The following are multiple choice questions (with answers) about history.\n\n"
        let passages = [String(repeating: "The treaty was signed in the spring after a long winter of talks. ", count: 6),
                        String(repeating: "Railways reached the valley and the old river trade declined. ", count: 6)]
        let questions = ["Which event came first?", "Who gained the most?", "What changed afterwards?"]
        var requests: [LoglikelihoodRequest] = []
        for question in questions {
            for passage in passages {
                for letter in [" A", " B"] {
                    requests.append(LoglikelihoodRequest(context: header + passage + "\n" + question + "\nAnswer:", continuation: letter))
                }
            }
        }
        var scores: [[LoglikelihoodResult]] = []
        var work: [ForwardCost] = []
        for reuse in [true, false] {
            let backend = try ModelBackend(model: model, prefixReuse: reuse)
            let planned = try backend.plannedCost(requests)
            scores.append(try backend.loglikelihoods(requests) { _ in })
            XCTAssertEqual(planned, backend.cost, "planned vs counted work, reuse \(reuse)")
            work.append(planned)
        }
        // With each passage computed once, the fed tokens are the header, the two passages and the
        // six question tails; sharing only the header would feed every passage three times.
        let tokenizer = try model.requireTokenizer()
        let count = { (text: String) in tokenizer.encode(text).count }
        let passageTokens = passages.map { count(header + $0) - count(header) }
        XCTAssertLessThan(work[0].tokens, count(header) + 2 * passageTokens.reduce(0, +),
                          "a passage was fed more than twice")
        XCTAssertLessThan(work[0].tokens, work[1].tokens / 2)
        for (a, b) in zip(scores[0], scores[1]) { XCTAssertEqual(a.loglikelihood, b.loglikelihood, accuracy: 1e-3) }
        XCTAssertEqual(scores[0].count, requests.count)
    }

    /// One backend keeps its KV cache from call to call (a benchmark's subsets) when it is large
    /// enough, and a later call scores exactly what a new backend scores: row 0's old prefix is
    /// forgotten and stale slots stay out of sight.
    func testLaterCallsReuseTheCacheAndScoreAsAFreshBackend() throws {
        let model = try MCScoringFixtureTests.cachedModel ?? LanguageModel(url: Fixtures.smolLM2())
        MCScoringFixtureTests.cachedModel = model
        func subject(_ name: String, shots: Int, questions: Int) -> [LoglikelihoodRequest] {
            let fewShot = (1...shots).map { "Question \($0) about \(name): what is \($0) times \($0 + 2)?\nAnswer: B\n\n" }.joined()
            return (0..<questions).flatMap { n in
                [" A", " B", " C", " D"].map { LoglikelihoodRequest(context: fewShot + "Question: \(name) case \(n)?\nAnswer:", continuation: $0) }
            }
        }
        let calls = [subject("chemistry", shots: 8, questions: 5), subject("law", shots: 3, questions: 4),
                     subject("history", shots: 14, questions: 3)]
        let kept = try ModelBackend(model: model)
        var planned = ForwardCost()
        for (i, requests) in calls.enumerated() {
            planned += try kept.plannedCost(requests)
            let reused = try kept.loglikelihoods(requests) { _ in }
            let fresh = try ModelBackend(model: model).loglikelihoods(requests) { _ in }
            XCTAssertEqual(reused.map(\.loglikelihood), fresh.map(\.loglikelihood), "call \(i): a kept cache changed a score")
            XCTAssertEqual(reused.map(\.isGreedy), fresh.map(\.isGreedy))
        }
        // `--estimate` (a fresh cache per call) still counts exactly the work done.
        XCTAssertEqual(kept.cost, planned)
        // The second call fits in the first one's cache; the third needs more positions.
        XCTAssertEqual(kept.prefixReuseCacheAllocations, 2)
    }
}
