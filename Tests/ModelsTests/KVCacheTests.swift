import XCTest
import Engine
import Models
import TestSupport

/// Incremental (KV-cache) forwards must reproduce the full forward exactly up to float32 noise.
final class KVCacheTests: XCTestCase {
    func tinyModel() throws -> LanguageModel { try LanguageModel(url: Fixtures.require("tiny-llama/model-f32.gguf")) }

    func testPrefillThenSingleStepsEqualTheFullForward() throws {
        let model = try tinyModel()
        let v = model.config.vocabularySize
        var rng = SplitMix64(seed: 11)
        let ids = (0..<20).map { _ in Int(rng.next() % UInt64(v)) }
        let full = try model.decoder.logits(for: TokenBatch(inputIds: [ids])).array
        let cache = KVCache(config: model.config, batch: 1, capacity: 32)
        let prefill = 7
        var out = try model.decoder.forwardCached([Array(ids.prefix(prefill))], cache: cache)
        var cached = model.decoder.logits(out, rows: Array(0..<prefill)).array
        for t in prefill..<ids.count {
            out = try model.decoder.forwardCached([[ids[t]]], cache: cache)
            cached += model.decoder.logits(out, rows: [0]).array
        }
        assertClose(cached, full, atol: 1e-5, "cached vs full logits")
        XCTAssertEqual(cache.lengths, [ids.count])
    }

    /// Rows of different lengths in one batch (right padding) and a copied prefix.
    func testBatchedRowsOfDifferentLengthsAndPrefixCopy() throws {
        let model = try tinyModel()
        let v = model.config.vocabularySize
        var rng = SplitMix64(seed: 5)
        let a = (0..<9).map { _ in Int(rng.next() % UInt64(v)) }
        let b = (0..<4).map { _ in Int(rng.next() % UInt64(v)) }
        let fullA = try model.decoder.logits(for: TokenBatch(inputIds: [a])).array
        let fullB = try model.decoder.logits(for: TokenBatch(inputIds: [b])).array
        let cache = KVCache(config: model.config, batch: 2, capacity: 16)
        let out = try model.decoder.forwardCached([a, b], cache: cache)
        let rowsA = (0..<a.count).map { out.row(0, $0) }, rowsB = (0..<b.count).map { out.row(1, $0) }
        assertClose(model.decoder.logits(out, rows: rowsA).array, fullA, atol: 1e-5, "row a")
        assertClose(model.decoder.logits(out, rows: rowsB).array, fullB, atol: 1e-5, "row b")
        // Reuse a's first 5 positions in row 1, continue with a's tail: equals a's full logits.
        cache.copyPrefix(from: 0, to: 1, length: 5)
        cache.truncate(row: 0, to: 0)
        let tail = try model.decoder.forwardCached([[], Array(a[5...])], cache: cache)
        XCTAssertEqual(tail.activeRows, [1], "the idle row is not computed")
        let tailRows = (0..<(a.count - 5)).map { tail.row(1, $0) }
        assertClose(model.decoder.logits(tail, rows: tailRows).array, Array(fullA[(5 * v)...]), atol: 1e-5, "copied prefix")
    }

    func testGreedyGenerationMatchesArgmaxOfFullForwards() throws {
        let model = try tinyModel()
        let prompt = [3, 17, 42, 9]
        let gen = GreedyGenerator(decoder: model.decoder, stopTokens: [], decode: { $0.map(String.init).joined(separator: ",") })
        let result = try gen.generate(prompts: [prompt, [5, 6]], maxNewTokens: 6)
        // Reference: re-run the full forward for every step.
        for (p, r) in zip([prompt, [5, 6]], result) {
            var seq = p
            for _ in 0..<6 {
                let logits = try model.decoder.logits(for: TokenBatch(inputIds: [seq])).array
                let last = Array(logits[((seq.count - 1) * model.config.vocabularySize)...])
                seq.append(last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) }!)
            }
            XCTAssertEqual(r.tokens, Array(seq[p.count...]))
            XCTAssertEqual(r.finishReason, "length")
        }
        let stopped = try gen.generate(prompts: [prompt], maxNewTokens: 6,
                                       stopStrings: [result[0].tokens.prefix(2).map(String.init).joined(separator: ",")])
        XCTAssertEqual(stopped[0].finishReason, "stop_string")
        XCTAssertEqual(stopped[0].text, "")
    }
}
