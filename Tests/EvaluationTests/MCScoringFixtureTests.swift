import XCTest
import Engine
import Models
import Evaluation
import TestSupport

/// The scoring engine against fixtures/mc-scoring (SmolLM2, lm-eval conventions): token ids,
/// summed log-likelihoods, is_greedy and the acc/acc_norm picks, with prefix reuse on and off.
final class MCScoringFixtureTests: XCTestCase {
    nonisolated(unsafe) static var cachedModel: LanguageModel?

    func backend(reuse: Bool) throws -> ModelBackend {
        let model = try Self.cachedModel ?? LanguageModel(url: Fixtures.smolLM2())
        Self.cachedModel = model
        return try ModelBackend(model: model, prefixReuse: reuse)
    }

    func items() throws -> [[String: Any]] {
        let root = try XCTUnwrap(Fixtures.json("mc-scoring/items.json") as? [String: Any])
        return try XCTUnwrap(root["items"] as? [[String: Any]])
    }

    func testTokenIdsFollowTheEncodePairConvention() throws {
        let backend = try backend(reuse: true)
        for item in try items() {
            for r in try XCTUnwrap(item["requests"] as? [[String: Any]]) {
                let req = try XCTUnwrap(r["request"] as? [String: String])
                let (ctx, cont) = try EncodePair.tokenize(context: req["context"]!, continuation: req["continuation"]!,
                                                         prefixTokenId: nil) { backend.tokenizer.encode($0) }
                XCTAssertEqual(ctx, r["context_ids"] as? [Int], "\(item["kind"]!) context ids")
                XCTAssertEqual(cont, r["continuation_ids"] as? [Int], "\(item["kind"]!) continuation ids")
            }
        }
    }

    func checkScores(reuse: Bool) throws {
        let backend = try backend(reuse: reuse)
        var worst = 0.0
        for item in try items() {
            let requests = try XCTUnwrap(item["requests"] as? [[String: Any]])
            let asked = try requests.map { r -> LoglikelihoodRequest in
                let req = try XCTUnwrap(r["request"] as? [String: String])
                return LoglikelihoodRequest(context: req["context"]!, continuation: req["continuation"]!)
            }
            let results = try backend.loglikelihoods(asked) { _ in }
            for (r, ours) in zip(requests, results) {
                let expected = try XCTUnwrap(r["loglikelihood"] as? Double)
                XCTAssertEqual(ours.loglikelihood, expected, accuracy: 1e-3, "\(item["kind"]!) reuse=\(reuse)")
                XCTAssertEqual(ours.isGreedy, r["is_greedy"] as? Bool, "\(item["kind"]!) is_greedy")
                worst = max(worst, abs(ours.loglikelihood - expected))
            }
            let lls = results.map(\.loglikelihood)
            let accPick = lls.indices.max { lls[$0] < lls[$1] || (lls[$0] == lls[$1] && $0 > $1) }!
            XCTAssertEqual(accPick, item["acc_pick"] as? Int, "\(item["kind"]!) acc pick")
            if let lengths = item["choice_char_lengths"] as? [Double] {
                let norm = zip(lls, lengths).map { $0 / $1 }
                let normPick = norm.indices.max { norm[$0] < norm[$1] || (norm[$0] == norm[$1] && $0 > $1) }!
                XCTAssertEqual(normPick, item["acc_norm_pick"] as? Int, "\(item["kind"]!) acc_norm pick")
            }
        }
        print("mc-scoring reuse=\(reuse): worst |loglik diff| \(worst) nats")
    }

    func testLoglikelihoodsMatchWithPrefixReuse() throws { try checkScores(reuse: true) }
    func testLoglikelihoodsMatchWithoutPrefixReuse() throws { try checkScores(reuse: false) }
}
