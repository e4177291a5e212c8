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

    /// In bf16 the log-likelihoods move by rounding (`tolerancePerToken` times the continuation's
    /// tokens, as each token's log-probability moves), and picks are compared only where the
    /// reference's margin between the best two choices exceeds `pickMargin`.
    func checkScores(reuse: Bool, precision: Precision = .f32, tolerance: Double = 1e-3, tolerancePerToken: Double = 0,
                     pickMargin: Double = 0) throws {
        let backend = try backend(reuse: reuse)
        try backend.model.decoder.setPrecision(precision)
        defer { try? backend.model.decoder.setPrecision(.f32) }
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
                let tokens = try XCTUnwrap(r["continuation_ids"] as? [Int]).count
                XCTAssertEqual(ours.loglikelihood, expected, accuracy: tolerance + tolerancePerToken * Double(tokens),
                               "\(item["kind"]!) reuse=\(reuse) \(precision)")
                if precision == .f32 { XCTAssertEqual(ours.isGreedy, r["is_greedy"] as? Bool, "\(item["kind"]!) is_greedy") }
                worst = max(worst, abs(ours.loglikelihood - expected))
            }
            let reference = try requests.map { try XCTUnwrap($0["loglikelihood"] as? Double) }
            func decided(_ scores: [Double]) -> Bool {
                let top = scores.sorted(by: >)
                return top.count < 2 || top[0] - top[1] > pickMargin
            }
            let lls = results.map(\.loglikelihood)
            let accPick = lls.indices.max { lls[$0] < lls[$1] || (lls[$0] == lls[$1] && $0 > $1) }!
            if decided(reference) { XCTAssertEqual(accPick, item["acc_pick"] as? Int, "\(item["kind"]!) acc pick") }
            if let lengths = item["choice_char_lengths"] as? [Double], decided(zip(reference, lengths).map { $0 / $1 }) {
                let norm = zip(lls, lengths).map { $0 / $1 }
                let normPick = norm.indices.max { norm[$0] < norm[$1] || (norm[$0] == norm[$1] && $0 > $1) }!
                XCTAssertEqual(normPick, item["acc_norm_pick"] as? Int, "\(item["kind"]!) acc_norm pick")
            }
        }
        print("mc-scoring reuse=\(reuse) \(precision): worst |loglik diff| \(worst) nats")
    }

    func testLoglikelihoodsMatchWithPrefixReuse() throws { try checkScores(reuse: true) }
    func testLoglikelihoodsMatchWithoutPrefixReuse() throws { try checkScores(reuse: false) }
    /// bf16 (every product, attention's included) against the same float64 lm-eval reference: within
    /// 0.03 nats per continuation token (the worst seen is 0.013), and the same acc/acc_norm picks
    /// wherever the reference's margin exceeds 0.05 nats (nearer ties flip by rounding, as they would
    /// in any bf16 implementation).
    func testLoglikelihoodsInBF16StayNearTheReference() throws {
        try requireBF16()
        try checkScores(reuse: true, precision: .bf16, tolerance: 0, tolerancePerToken: 0.03, pickMargin: 0.05)
    }
}
