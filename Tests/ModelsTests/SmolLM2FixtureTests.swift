import XCTest
import Engine
import Models
import TestSupport

/// The real SmolLM2-135M Q4_1 file against the float64 reference of fixtures/smollm2.
final class SmolLM2FixtureTests: XCTestCase {
    nonisolated(unsafe) static var cached: LanguageModel?

    func model() throws -> LanguageModel {
        if let m = Self.cached { return m }
        let m = try LanguageModel(url: Fixtures.smolLM2())
        Self.cached = m
        return m
    }

    func prompts() throws -> [String] {
        let file = try Fixtures.safetensors("smollm2/logits.safetensors")
        return Set(file.names.filter { $0.hasSuffix(".input_ids") }.map { String($0.dropLast(".input_ids".count)) }).sorted()
    }

    func testFileMetadataMatchesTheFixtureDescription() throws {
        let m = try model()
        XCTAssertEqual(m.config.ropeTheta, 100_000)
        XCTAssertTrue(m.config.tiedEmbeddings)
        XCTAssertEqual(m.tensorTypes["Q4_1"], 210)
        XCTAssertEqual(m.tensorTypes["Q8_0"], 1)
    }

    func testLastLogitsAndTokenLogProbsMatchTheReference() throws {
        let m = try model()
        let ref = try Fixtures.safetensors("smollm2/logits.safetensors")
        var checked = 0
        for prompt in try prompts() {
            let ids = try ref.ints("\(prompt).input_ids")
            var labels = ids
            labels[0] = -100
            let batch = TokenBatch(inputIds: [ids], labels: [labels])
            let acts = DecoderActivations(config: m.config, batch: 1, seqLen: ids.count, saveForBackward: false)
            try m.decoder.forward(batch, acts)
            if ref.contains("\(prompt).last_logits") {
                let last = m.decoder.logits(acts, rows: [ids.count - 1]).array
                let expected = try ref.floats("\(prompt).last_logits")
                assertClose(last, expected, atol: 1e-3, "\(prompt) last logits")
                print("smollm2 \(prompt): last-logit max |diff| \(maxAbsDiff(last, expected))")
                checked += 1
            }
            let (logProbs, _) = m.decoder.scoreTargets(batch, acts)
            let ours = logProbs.prefix(ids.count - 1).map(Float.init)
            if ref.contains("\(prompt).token_logprobs") {
                let expected = try ref.floats("\(prompt).token_logprobs")
                assertClose(Array(ours), expected, atol: 1e-3, "\(prompt) token log-probs")
                print("smollm2 \(prompt): token log-prob max |diff| \(maxAbsDiff(Array(ours), expected))")
            } else if ref.contains("\(prompt).token_nll") {
                let expected = try ref.floats("\(prompt).token_nll")
                assertClose(ours.map { -$0 }, expected, atol: 1e-3, "\(prompt) token NLL")
                print("smollm2 \(prompt): token NLL max |diff| \(maxAbsDiff(ours.map { -$0 }, expected))")
            }
        }
        XCTAssertGreaterThan(checked, 0, "no prompt with last_logits in the fixture")
    }

    /// Layer-by-layer residual stream, embeddings and final norm for the prompt that has them.
    func testResidualStreamPerLayerMatchesTheReference() throws {
        let m = try model()
        let ref = try Fixtures.safetensors("smollm2/logits.safetensors")
        guard let prompt = try prompts().first(where: { ref.contains("\($0).residual_after_layer") }) else {
            throw XCTSkip("no residual stream in the fixture")
        }
        let ids = try ref.ints("\(prompt).input_ids")
        let batch = TokenBatch(inputIds: [ids])
        let acts = DecoderActivations(config: m.config, batch: 1, seqLen: ids.count, saveForBackward: true)
        try m.decoder.forward(batch, acts)
        let c = m.config.hiddenSize, t = ids.count
        assertClose(acts.embeddingOutput.array, try ref.floats("\(prompt).inputs_embeds"), atol: 1e-6, "embeddings")
        let residuals = try ref.floats("\(prompt).residual_after_layer")
        XCTAssertEqual(residuals.count, m.config.layerCount * t * c)
        var worstRelative: Float = 0
        for l in 0..<m.config.layerCount {
            let expected = Array(residuals[(l * t * c)..<((l + 1) * t * c)])
            let ours = acts.residual(afterLayer: l).array
            assertClose(ours, expected, atol: 1e-3, rtol: 1e-4, "residual after layer \(l)")
            for (a, e) in zip(ours, expected) { worstRelative = max(worstRelative, abs(a - e) / max(abs(e), 1)) }
        }
        print("smollm2 residual stream: worst |diff|/max(|ref|,1) \(worstRelative)")
        assertClose(acts.finalHidden.array, try ref.floats("\(prompt).final_norm_output"), atol: 1e-3, rtol: 1e-4, "final norm")
        if ref.contains("\(prompt).logits") {
            assertClose(m.decoder.logits(acts).array, try ref.floats("\(prompt).logits"), atol: 1e-3, "all logits")
        }
    }
}
