import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// Incremental forwards that keep only each sequence's last output (or none) run the last layer
/// on fewer rows; the kept rows and the cache they leave must be the ones a full forward gives,
/// with and without an adapter on every projection (the adapter sees the smaller row count).
final class CachedOutputsTests: XCTestCase {
    func testLastAndNoneOutputsMatchTheFullForward() throws {
        let model = try tinyModel()
        let v = model.config.vocabularySize
        var rng = SplitMix64(seed: 29)
        let a = (0..<9).map { _ in 3 + Int(rng.next() % 250) }, b = (0..<5).map { _ in 3 + Int(rng.next() % 250) }
        let adapter = HydraLoRAAdapter(model: model.config, tasks: 1, rank: 4, alpha: 8,
                                       targets: [.q, .k, .v, .o, .gate, .up, .down], seed: 3)
        randomise(adapter, std: 0.05, seed: 4)
        for withAdapter in [false, true] {
            model.decoder.adapter = withAdapter ? adapter : nil
            defer { model.decoder.adapter = nil }
            let label = withAdapter ? "with adapter" : "base"
            let fullA = try model.decoder.logits(for: TokenBatch(inputIds: [a])).array
            let fullB = try model.decoder.logits(for: TokenBatch(inputIds: [b])).array
            let cache = KVCache(config: model.config, batch: 2, capacity: 16)
            let last = try model.decoder.forwardCached([a, b], cache: cache, outputs: .last)
            XCTAssertEqual(last.rows, 2)
            let logits = model.decoder.logits(last, rows: [last.row(0, a.count - 1), last.row(1, b.count - 1)]).array
            assertClose(Array(logits[0..<v]), Array(fullA[((a.count - 1) * v)...]), atol: 1e-5, "\(label): last of a")
            assertClose(Array(logits[v...]), Array(fullB[((b.count - 1) * v)...]), atol: 1e-5, "\(label): last of b")
            // A prefix forward that keeps no output still fills every layer's keys and values.
            cache.reset()
            let none = try model.decoder.forwardCached([Array(a[..<6]), []], cache: cache, outputs: .none)
            XCTAssertEqual(none.rows, 0)
            let rest = try model.decoder.forwardCached([Array(a[6...]), []], cache: cache)
            let restRows = (0..<(a.count - 6)).map { rest.row(0, $0) }
            assertClose(model.decoder.logits(rest, rows: restRows).array, Array(fullA[(6 * v)...]), atol: 1e-5,
                        "\(label): continuation after a prefix kept without outputs")
        }
    }
}
