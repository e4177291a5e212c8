import XCTest
import Models

/// Work counts of decoder forwards, checked by hand on small shapes.
final class ForwardCostTests: XCTestCase {
    func testCachedForwardCountsByOutputs() {
        // Sequence 0 appends 3 tokens after 5 cached positions, sequence 1 appends 2 to an empty row,
        // sequence 2 is idle. Visible keys: 6+7+8 = 21 and 1+2 = 3, so 24 pairs per layer.
        let all = ForwardCost.cached(starts: [5, 0, 4], counts: [3, 2, 0], outputs: .all, layers: 4)
        XCTAssertEqual(all.tokens, 5)
        XCTAssertEqual(all.layerTokens, 20)
        XCTAssertEqual(all.keyValueOnlyTokens, 0)
        XCTAssertEqual(all.attentionPairs, 96)

        // `.last`: the last layer runs past K/V only for each sequence's last token (8 and 2 keys).
        let last = ForwardCost.cached(starts: [5, 0, 4], counts: [3, 2, 0], outputs: .last, layers: 4)
        XCTAssertEqual(last.layerTokens, 3 * 5 + 2)
        XCTAssertEqual(last.keyValueOnlyTokens, 3)
        XCTAssertEqual(last.attentionPairs, 3 * 24 + 10)

        // `.none`: the last layer only fills the cache.
        let none = ForwardCost.cached(starts: [5, 0, 4], counts: [3, 2, 0], outputs: .none, layers: 4)
        XCTAssertEqual(none.layerTokens, 15)
        XCTAssertEqual(none.keyValueOnlyTokens, 5)
        XCTAssertEqual(none.attentionPairs, 72)

        // One token per sequence: `.last` keeps every row, as `forwardCached` does.
        XCTAssertEqual(ForwardCost.cached(starts: [5, 9], counts: [1, 1], outputs: .last, layers: 4),
                       ForwardCost.cached(starts: [5, 9], counts: [1, 1], outputs: .all, layers: 4))
    }

    func testFullForwardAndFlops() {
        let full = ForwardCost.full(batch: 2, seqLen: 4, layers: 3)
        XCTAssertEqual(full.tokens, 8)
        XCTAssertEqual(full.layerTokens, 24)
        XCTAssertEqual(full.attentionPairs, 3 * 2 * 10)

        let config = LlamaConfig(architecture: "llama", vocabularySize: 100, hiddenSize: 8, intermediateSize: 16, layerCount: 3,
                                 headCount: 2, keyValueHeadCount: 1, headSize: 4, ropeDimensions: 4, ropeTheta: 10000,
                                 ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 64, tiedEmbeddings: true)
        var cost = full
        cost.keyValueOnlyTokens = 2
        cost.logitRows = 5
        let f = cost.flops(for: config)
        // Per layer-token: 2·C·(Q + O) = 2·8·16, K/V 2·8·8, MLP 2·3·8·16.
        let keyValue: Double = 2 * 8 * 8
        let perLayerToken: Double = 2 * 8 * 16 + keyValue + 2 * 3 * 8 * 16
        XCTAssertEqual(f.linear, 24 * perLayerToken + 2 * keyValue)
        XCTAssertEqual(f.attention, Double(60 * 4 * 8))
        XCTAssertEqual(f.head, Double(5 * 2 * 8 * 100))
        XCTAssertEqual(f.total, f.linear + f.attention + f.head)
    }
}
