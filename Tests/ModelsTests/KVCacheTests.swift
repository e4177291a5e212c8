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

    /// Rows that read a prefix from other rows instead of copying it (and rows that read from
    /// those) reproduce the full forward; copying a borrowing row's prefix resolves its spans.
    func testSharedPrefixesReadInPlaceEqualTheFullForward() throws {
        let model = try tinyModel()
        let v = model.config.vocabularySize
        var rng = SplitMix64(seed: 19)
        let prefix = (0..<6).map { _ in Int(rng.next() % UInt64(v)) }
        let items = (0..<2).map { _ in (0..<4).map { _ in Int(rng.next() % UInt64(v)) } }
        let branch = (0..<3).map { _ in Int(rng.next() % UInt64(v)) }
        let cache = KVCache(config: model.config, batch: 5, capacity: 24)
        _ = try model.decoder.forwardCached([prefix, [], [], [], []], cache: cache)
        // Rows 1 and 2 read row 0's prefix; row 3 reads row 1's (its prefix, then item 0).
        cache.sharePrefix(from: 0, to: 1, length: prefix.count)
        cache.sharePrefix(from: 0, to: 2, length: prefix.count)
        XCTAssertEqual(cache.borrowed[1], [KVCache.BorrowedSpan(row: 0, start: 0, end: prefix.count)])
        let out = try model.decoder.forwardCached([[], items[0], items[1], [], []], cache: cache)
        for (k, item) in items.enumerated() {
            let full = try model.decoder.logits(for: TokenBatch(inputIds: [prefix + item])).array
            let rows = item.indices.map { out.row(k + 1, $0) }
            assertClose(model.decoder.logits(out, rows: rows).array, Array(full[(prefix.count * v)...]), atol: 1e-5, "item \(k) over a shared prefix")
        }
        cache.sharePrefix(from: 1, to: 3, length: prefix.count + items[0].count)
        XCTAssertEqual(cache.borrowed[3], [KVCache.BorrowedSpan(row: 0, start: 0, end: prefix.count),
                                           KVCache.BorrowedSpan(row: 1, start: prefix.count, end: prefix.count + items[0].count)])
        let sequence = prefix + items[0] + branch
        let fullBranch = try model.decoder.logits(for: TokenBatch(inputIds: [sequence])).array
        let branched = try model.decoder.forwardCached([[], [], [], branch, []], cache: cache)
        let branchRows = branch.indices.map { branched.row(3, $0) }
        assertClose(model.decoder.logits(branched, rows: branchRows).array,
                    Array(fullBranch[((prefix.count + items[0].count) * v)...]), atol: 1e-5, "a branch over two borrowed spans")
        // A physical copy of row 3's first 8 positions, continued: same logits as the full forward.
        cache.copyPrefix(from: 3, to: 4, length: 8)
        XCTAssertEqual(cache.borrowed[4], [])
        let copied = try model.decoder.forwardCached([[], [], [], [], Array(sequence[8...])], cache: cache)
        let copiedRows = (0..<(sequence.count - 8)).map { copied.row(4, $0) }
        assertClose(model.decoder.logits(copied, rows: copiedRows).array, Array(fullBranch[(8 * v)...]), atol: 1e-5, "copy of a borrowing row")
        // Releasing the borrowers frees the lenders.
        cache.release(rows: 1..<5)
        cache.truncate(row: 0, to: 0)
        XCTAssertEqual(cache.lengths, [0, 0, 0, 0, 0])
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
