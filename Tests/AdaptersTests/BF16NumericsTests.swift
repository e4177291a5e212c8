import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// The bf16 path (frozen weights and product inputs rounded to bf16, float32 accumulation) against
/// float32 on the same model, inputs and adapter. bf16 keeps 8 significant bits, so each product
/// input carries a relative rounding error of at most 2^-9 ≈ 0.2%; the tolerances below allow a
/// few times the error that leaves after the accumulation over K (errors of independent terms
/// partly cancel), and each test states its own.
final class BF16NumericsTests: XCTestCase {
    /// ‖a − b‖ / ‖b‖.
    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
        return (num / max(den, 1e-30)).squareRoot()
    }

    /// Loss, logits and every LoRA gradient on the forward-backward fixture (tiny LLaMA, LoRA on
    /// its targets): loss within 1% relative, logits within 2% and gradients within 3% in relative
    /// L2 norm of float32's.
    func testLogitsAndLoRAGradientsNearFloat32() throws {
        try requireBF16()
        let fixture = try ForwardBackwardFixtureTests.loadCase()
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let parameters = try ForwardBackwardFixtureTests.fixtureLoRA(fixture, model: model.config)
        model.decoder.adapter = LoRAAdapter(parameters)
        func run(_ precision: Precision) throws -> (loss: Double, logits: [Float], grads: [[Float]]) {
            try model.decoder.setPrecision(precision)
            parameters.zeroGradients()
            let acts = DecoderActivations(config: model.config, batch: fixture.batch.batch, seqLen: fixture.batch.seqLen, saveForBackward: true)
            let result = try model.decoder.lossAndGradients(fixture.batch, acts)
            return (result.meanNLL, model.decoder.logits(acts).array, parameters.namedParameters.map { $0.grad.array })
        }
        let f32 = try run(.f32), bf16 = try run(.bf16)
        XCTAssertEqual(model.decoder.precision, .bf16)
        XCTAssertEqual(bf16.loss, f32.loss, accuracy: 0.01 * f32.loss, "loss")
        let logitError = relativeError(bf16.logits, f32.logits)
        XCTAssertLessThan(logitError, 0.02, "logits")
        XCTAssertGreaterThan(logitError, 0, "bf16 logits equal float32 exactly: the bf16 path did not run")
        var worst = 0.0
        for ((name, _, _), (g16, g32)) in zip(parameters.namedParameters, zip(bf16.grads, f32.grads)) {
            let e = relativeError(g16, g32)
            worst = max(worst, e)
            XCTAssertLessThan(e, 0.03, "grad \(name)")
        }
        print(String(format: "bf16 vs f32 on the fixture: loss %.6f vs %.6f, logits rel. error %.2e, worst LoRA grad rel. error %.2e",
                     bf16.loss, f32.loss, logitError, worst))
    }

    /// KV-cache scoring and greedy generation in bf16: the cached forward's log-probabilities match
    /// the full bf16 forward's within 1e-3 nats (same products, different row blocking) and
    /// float32's within 0.05 nats.
    func testCachedScoringAndGenerationInBF16() throws {
        try requireBF16()
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let ids = (0..<40).map { ($0 * 37 + 11) % model.config.vocabularySize }
        var labels = ids
        labels[0] = -100
        let batch = TokenBatch(inputIds: [ids], labels: [labels])
        func fullScores() throws -> [Double] {
            let acts = DecoderActivations(config: model.config, batch: 1, seqLen: ids.count, saveForBackward: false)
            try model.decoder.forward(batch, acts)
            return Array(model.decoder.scoreTargets(batch, acts).logProbs.dropLast())
        }
        func cachedScores() throws -> [Double] {
            let cache = KVCache(config: model.config, batch: 1, capacity: 64)
            let prefix = try model.decoder.forwardCached([Array(ids.prefix(10))], cache: cache)
            let rest = try model.decoder.forwardCached([Array(ids.dropFirst(10))], cache: cache)
            let a = model.decoder.score(prefix, targets: ids[1...10].map(Int32.init))
            let b = model.decoder.score(rest, targets: ids.dropFirst(11).map(Int32.init) + [-100])
            return a.logProbs + b.logProbs.dropLast()
        }
        try model.decoder.setPrecision(.f32)
        let f32 = try fullScores()
        try model.decoder.setPrecision(.bf16)
        let full = try fullScores(), cached = try cachedScores()
        XCTAssertEqual(full.count, cached.count)
        for (i, (a, b)) in zip(cached, full).enumerated() { XCTAssertEqual(a, b, accuracy: 1e-3, "cached vs full bf16 at \(i)") }
        for (i, (a, b)) in zip(full, f32).enumerated() { XCTAssertEqual(a, b, accuracy: 0.05, "bf16 vs f32 at \(i)") }
        let generator = GreedyGenerator(decoder: model.decoder, stopTokens: []) { _ in "" }
        let produced = try generator.generate(prompts: [Array(ids.prefix(8))], maxNewTokens: 6)[0].tokens
        XCTAssertEqual(produced.count, 6)
        XCTAssertTrue(produced.allSatisfy { $0 >= 0 && $0 < model.config.vocabularySize })
    }

    /// 100 LoRA steps (AdamW, r=8 on q,k,v,o,gate,up,down, the same batches and seed) in bf16 follow
    /// the float32 loss curve within 1% at every step, while the loss falls.
    func testHundredLoRAStepsFollowTheFloat32LossCurve() throws {
        try requireBF16()
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let c = model.config
        var data = SplitMix64(seed: 11)
        // Four fixed batches of 4 × 48 ids from a quarter of the vocabulary, cycled: learnable.
        let batches: [TokenBatch] = (0..<4).map { _ in
            let rows = (0..<4).map { _ in (0..<48).map { _ in Int(data.next() % UInt64(c.vocabularySize / 4)) } }
            return TokenBatch(inputIds: rows, labels: rows)
        }
        func curve(_ precision: Precision) throws -> [Double] {
            try model.decoder.setPrecision(precision)
            let parameters = LoRAParameters(config: LoRAConfig(rank: 8, alpha: 16, targets: Projection.allCases), model: c)
            var rng = SplitMix64(seed: 5)
            parameters.initialiseLikePEFT(rng: &rng)
            model.decoder.adapter = LoRAAdapter(parameters)
            defer { model.decoder.adapter = nil }
            let group = ParameterGroup(name: "lora", parameters: parameters.namedParameters.map { Parameter(name: $0.name, value: $0.value, grad: $0.grad) },
                                       lr: 2e-3, weightDecay: 0)
            let optimizer = AdamW(groups: [group])
            let acts = DecoderActivations(config: c, batch: 4, seqLen: 48, saveForBackward: true)
            var losses: [Double] = []
            for step in 0..<100 {
                parameters.zeroGradients()
                losses.append(try model.decoder.lossAndGradients(batches[step % batches.count], acts).meanNLL)
                optimizer.step()
            }
            return losses
        }
        let f32 = try curve(.f32), bf16 = try curve(.bf16)
        var worst = 0.0
        for (step, (a, b)) in zip(bf16, f32).enumerated() {
            worst = max(worst, abs(a - b) / b)
            XCTAssertEqual(a, b, accuracy: 0.01 * b, "step \(step)")
        }
        XCTAssertLessThan(f32.suffix(4).reduce(0, +), 0.95 * f32.prefix(4).reduce(0, +), "the loss must fall for the comparison to mean anything")
        print(String(format: "100 LoRA steps: f32 %.4f → %.4f, bf16 %.4f → %.4f, worst step relative difference %.2e",
                     f32[0], f32[99], bf16[0], bf16[99], worst))
    }
}
