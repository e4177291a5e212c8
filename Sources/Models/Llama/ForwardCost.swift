/// The arithmetic of decoder forwards, counted exactly from their shapes: which (token, layer)
/// pairs went through the projections and MLP, which (query, visible key, layer) triples through
/// attention, and how many rows through the LM head. `flops(for:)` turns the counts into
/// multiply-add work (2 flops each) of the base model (adapters excluded: a rank-r LoRA adds
/// ~r/C of a projection).
///
/// Used to report achieved GFLOP/s beside tokens/s, and to bound a run's time from below before
/// running it (`metalora eval --estimate`): float32 work cannot go faster than the machine's
/// sgemm rate.
public struct ForwardCost: Sendable, Equatable {
    /// Token positions fed.
    public var tokens = 0
    /// (token, layer) pairs through a whole layer: projections, attention and MLP.
    public var layerTokens = 0
    /// (token, layer) pairs through the key and value projections only (the last layer of a
    /// cached forward skips the rest for rows whose output nobody reads).
    public var keyValueOnlyTokens = 0
    /// (query, visible key, layer) triples: one QKᵀ score and one PV term per query head.
    public var attentionPairs = 0
    /// Rows through the LM head (logits over the vocabulary).
    public var logitRows = 0

    public init() {}

    public static func += (a: inout ForwardCost, b: ForwardCost) {
        a.tokens += b.tokens; a.layerTokens += b.layerTokens; a.keyValueOnlyTokens += b.keyValueOnlyTokens
        a.attentionPairs += b.attentionPairs; a.logitRows += b.logitRows
    }

    /// Keys visible to `count` new queries of one sequence that starts at position `start`
    /// (query t sees positions 0 … start + t).
    public static func visiblePairs(start: Int, count: Int) -> Int { count * start + count * (count + 1) / 2 }

    /// One `LlamaDecoder.forwardCached`: sequence r appends `counts[r]` tokens after `starts[r]`
    /// cached positions; `outputs` says which rows run the last layer past its keys and values.
    public static func cached(starts: [Int], counts: [Int], outputs: CachedOutputs, layers: Int) -> ForwardCost {
        var cost = ForwardCost()
        let active = zip(starts, counts).filter { $0.1 > 0 }
        guard !active.isEmpty else { return cost }
        let tokens = active.reduce(0) { $0 + $1.1 }
        let pairs = active.reduce(0) { $0 + visiblePairs(start: $1.0, count: $1.1) }
        // Rows that go through the whole last layer (the rule `forwardCached` applies), and their
        // attention pairs there: packed row p of sequence r, new token t, sees start + t + 1 keys.
        var keptRows = tokens, keptPairs = pairs
        if let kept = outputs.keptRows(counts: active.map(\.1)) {
            keptRows = kept.count
            keptPairs = 0
            var r = 0, offset = 0
            for p in kept {
                while p >= offset + active[r].1 { offset += active[r].1; r += 1 }
                keptPairs += active[r].0 + (p - offset) + 1
            }
        }
        cost.tokens = tokens
        cost.layerTokens = (layers - 1) * tokens + keptRows
        cost.keyValueOnlyTokens = tokens - keptRows
        cost.attentionPairs = (layers - 1) * pairs + keptPairs
        return cost
    }

    /// One full (uncached) forward of `batch` sequences padded to `seqLen`: every position runs
    /// every layer and attends causally (padding included, as it is computed).
    public static func full(batch: Int, seqLen: Int, layers: Int) -> ForwardCost {
        var cost = ForwardCost()
        cost.tokens = batch * seqLen
        cost.layerTokens = layers * batch * seqLen
        cost.attentionPairs = layers * batch * visiblePairs(start: 0, count: seqLen)
        return cost
    }

    /// Multiply-add work in flops (2 per multiply-add) of the base model.
    public func flops(for c: LlamaConfig) -> (linear: Double, attention: Double, head: Double, total: Double) {
        let hidden = Double(c.hiddenSize), q = Double(c.queryWidth), kv = Double(c.keyValueWidth)
        let keyValue = 2 * hidden * 2 * kv
        let perLayerToken = 2 * hidden * (2 * q) + keyValue + 2 * 3 * hidden * Double(c.intermediateSize)
        let linear = Double(layerTokens) * perLayerToken + Double(keyValueOnlyTokens) * keyValue
        // QKᵀ and PV: one multiply-add each per query head and head dimension.
        let attention = Double(attentionPairs) * 2 * 2 * Double(c.headCount * c.headSize)
        let head = Double(logitRows) * 2 * hidden * Double(c.vocabularySize)
        return (linear, attention, head, linear + attention + head)
    }
}
