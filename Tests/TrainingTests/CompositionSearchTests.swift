import XCTest
import Engine
import Models
import Adapters
import Data
import Training
import TestSupport

/// LoRAHub's stage 2 on a problem with a known answer: the target examples are written by the
/// tiny model wearing the composition 0.7·L1 − 0.3·L2 of two random LoRAs, so the search over
/// (w1, w2) should find weights whose target loss is close to that composition's own.
final class CompositionSearchTests: XCTestCase {
    static let trueWeights: [Float] = [0.7, -0.3]

    /// Two random LoRAs, large enough to move the tiny model's flat logits (weights ~N(0, 0.02)).
    func randomLoRAs(_ model: LlamaConfig) -> [LoRAParameters] {
        var rng = SplitMix64(seed: 21)
        return (0..<2).map { _ in
            let p = LoRAParameters(config: LoRAConfig(rank: 4, alpha: 8, targets: [.q, .k, .v, .o]), model: model)
            for (_, value, _) in p.namedParameters {
                for i in 0..<value.count { value.data[i] = Float(rng.nextNormal()) * 0.6 }
            }
            return p
        }
    }

    /// Random prompts; each answer token is sampled from the target model's next-token
    /// distribution, so the expected loss is lowest for the model that wrote them.
    func targetExamples(_ decoder: LlamaDecoder, count: Int, promptLength: Int, answerLength: Int, seed: UInt64) throws -> [TokenizedExample] {
        var rng = SplitMix64(seed: seed)
        let length = promptLength + answerLength
        let vocabulary = decoder.config.vocabularySize
        let ids = (0..<count).map { _ in (0..<length).map { _ in Int(rng.next() % UInt64(vocabulary)) } }
        let logits = try decoder.logits(for: TokenBatch(inputIds: ids))
        return ids.enumerated().map { b, row in
            var labels = [Int](repeating: TokenizedExample.ignoreLabel, count: length)
            for t in promptLength..<length {
                // Position t − 1 predicts label t.
                let offset = (b * length + t - 1) * vocabulary
                let z = (0..<vocabulary).map { Double(logits.data[offset + $0]) }
                let top = z.max()!
                let p = z.map { Foundation.exp($0 - top) }
                var u = rng.nextUniform() * p.reduce(0, +)
                var pick = vocabulary - 1
                for (i, q) in p.enumerated() { u -= q; if u <= 0 { pick = i; break } }
                labels[t] = pick
            }
            return TokenizedExample(exampleID: "synthetic:\(b)", task: "synthetic", inputIDs: row, labels: labels,
                                    promptTokenCount: promptLength, truncated: false)
        }
    }

    /// The tiny model with its LM head scaled up: its weights (~N(0, 0.02)) after the final RMSNorm
    /// give logits of std ≈ 0.16, so no adapter can move its next-token distributions more than a
    /// few hundredths of a nat — too flat for a search to tell compositions apart.
    func sharpenedTinyModel(scale: Float = 20) throws -> LanguageModel {
        let model = try SyntheticTasks.tinyModel()
        let head = model.decoder.weights.output
        for i in 0..<head.count { head.data[i] *= scale }
        return model
    }

    func testSearchFindsTheCompositionThatWroteTheTargets() throws {
        let model = try sharpenedTinyModel()
        let decoder = model.decoder
        let upstream = randomLoRAs(model.config)
        decoder.adapter = LoRAAdapter(LoRAHub.compose(upstream: upstream, weights: Self.trueWeights, model: model.config))
        let targets = try targetExamples(decoder, count: 5, promptLength: 24, answerLength: 100, seed: 5)
        func loss(_ w: [Float]) throws -> Double {
            decoder.adapter = LoRAAdapter(LoRAHub.compose(upstream: upstream, weights: w, model: model.config))
            defer { decoder.adapter = nil }
            let batch = TokenBatch(inputIds: targets.map(\.inputIDs), labels: targets.map(\.labels))
            let acts = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: false)
            return try decoder.lossAndGradients(batch, acts, backward: false, training: false).meanNLL
        }
        let atTruth = try loss(Self.trueWeights), atZero = try loss([0, 0])
        let gap = atZero - atTruth
        decoder.adapter = nil

        let outcome = try CompositionSearch.run(decoder: decoder, upstream: upstream, targets: targets, searchSteps: 40, seed: 3)
        print("composition search: loss at w=0 \(atZero), at the true weights \(atTruth), found \(outcome.targetLoss) at \(outcome.weights)")
        print("  w=(1,0) \(try loss([1, 0])), w=(0,-1) \(try loss([0, -1])), w=(1.4,-0.6) \(try loss([1.4, -0.6]))")
        // The problem is informative: the true composition explains the targets far better than the base model.
        XCTAssertGreaterThan(gap, 0.2)
        // Within LoRAHub's 40 evaluations the search gets within 10% of that gap of the truth's loss ...
        XCTAssertEqual(outcome.evaluations, 40)
        XCTAssertEqual(outcome.baseLoss, atZero, accuracy: 1e-9)
        XCTAssertLessThan(outcome.targetLoss, atTruth + 0.1 * gap)
        // ... at weights near ±(0.7, −0.3): negating every weight negates A and B, so ΔW = B A is unchanged.
        let sign: Float = outcome.weights[0] >= 0 ? 1 : -1
        XCTAssertLessThan(maxAbsDiff(outcome.weights.map { $0 * sign }, Self.trueWeights), 0.15, "\(outcome.weights)")
        // The returned adapter is the composition at the returned weights, and the decoder is left as it was.
        XCTAssertNil(decoder.adapter)
        let expected = LoRAHub.compose(upstream: upstream, weights: outcome.weights, model: model.config)
        for (x, y) in zip(outcome.composed.namedParameters, expected.namedParameters) { XCTAssertEqual(x.value.array, y.value.array) }
        XCTAssertEqual(outcome.objective, outcome.targetLoss + 0.05 * outcome.weights.reduce(0) { $0 + Double(abs($1)) } / 2, accuracy: 1e-9)
        // Counted work: 40 forward passes over the 5 targets.
        XCTAssertEqual(outcome.samples, 40 * 5)
        XCTAssertEqual(outcome.tokens, 40 * 5 * 124)
    }

    func testTargetsWithoutAnswerTokensAreRefused() throws {
        let model = try SyntheticTasks.tinyModel()
        let empty = TokenizedExample(exampleID: "x", task: "t", inputIDs: [1, 2, 3], labels: [-100, -100, -100],
                                     promptTokenCount: 3, truncated: true)
        XCTAssertThrowsError(try CompositionSearch.run(decoder: model.decoder, upstream: randomLoRAs(model.config), targets: [empty], seed: 1)) {
            XCTAssertTrue("\($0)".contains("have no answer tokens"), "\($0)")
        }
    }
}
