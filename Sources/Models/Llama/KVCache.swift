import Engine

/// Keys (after RoPE) and values of every layer for B sequences of up to `capacity` positions.
///
/// Shapes legend: keys[l], values[l] `[B, S, KW]` (S = capacity, KW = NKV·HS); keyMask `[B, S]`
/// (1 = a real token sits in that slot). `lengths[b]` counts the filled positions of row b.
/// Prefix reuse truncates a row (`lengths[b] = p`) and extends it, or copies one row's prefix to
/// other rows, so a shared few-shot prefix is computed once.
public final class KVCache: @unchecked Sendable {
    public let batch: Int
    public let capacity: Int
    public let config: LlamaConfig
    let keys: [Tensor]
    let values: [Tensor]
    var keyMask: [Int32]
    public internal(set) var lengths: [Int]
    /// The token ids held by each row, for prefix matching.
    public internal(set) var tokens: [[Int32]]

    public init(config c: LlamaConfig, batch: Int, capacity: Int) {
        self.config = c; self.batch = batch; self.capacity = capacity
        keys = (0..<c.layerCount).map { _ in Tensor(shape: [batch, capacity, c.keyValueWidth]) }
        values = (0..<c.layerCount).map { _ in Tensor(shape: [batch, capacity, c.keyValueWidth]) }
        keyMask = [Int32](repeating: 0, count: batch * capacity)
        lengths = [Int](repeating: 0, count: batch)
        tokens = [[Int32]](repeating: [], count: batch)
    }

    /// Forgets row b's positions from `length` on.
    public func truncate(row b: Int, to length: Int) {
        precondition(length >= 0 && length <= lengths[b], "truncate: row \(b) has \(lengths[b]) positions, asked for \(length)")
        for j in length..<lengths[b] { keyMask[b * capacity + j] = 0 }
        lengths[b] = length
        tokens[b].removeLast(tokens[b].count - length)
    }

    public func reset() { for b in 0..<batch { truncate(row: b, to: 0) } }

    /// Copies the first `length` positions of row `source` into row `destination` (which is
    /// truncated to exactly that prefix).
    public func copyPrefix(from source: Int, to destination: Int, length: Int) {
        precondition(length <= lengths[source], "copyPrefix: row \(source) has only \(lengths[source]) positions")
        guard source != destination else { truncate(row: destination, to: length); return }
        let kw = config.keyValueWidth
        for l in 0..<config.layerCount {
            (keys[l].data + destination * capacity * kw).update(from: keys[l].data + source * capacity * kw, count: length * kw)
            (values[l].data + destination * capacity * kw).update(from: values[l].data + source * capacity * kw, count: length * kw)
        }
        for j in 0..<capacity { keyMask[destination * capacity + j] = j < length ? keyMask[source * capacity + j] : 0 }
        lengths[destination] = length
        tokens[destination] = Array(tokens[source].prefix(length))
    }

    /// Length of the common prefix of row b's tokens and `ids`.
    public func commonPrefix(row b: Int, with ids: [Int32]) -> Int {
        var i = 0
        let held = tokens[b]
        while i < held.count && i < ids.count && held[i] == ids[i] { i += 1 }
        return i
    }

    public var byteCount: Int { 2 * keys.reduce(0) { $0 + 4 * $1.count } }
}

/// Activation buffers for incremental (cached) forwards of up to `rows` new positions; a forward
/// of fewer rows uses the leading part, so the buffers only grow.
final class IncrementalBuffers: @unchecked Sendable {
    let rows: Int
    let residual: Tensor, normed: Tensor, rstd: Tensor
    let q: Tensor, k: Tensor, v: Tensor, attention: Tensor
    let gate: Tensor, up: Tensor, swiglu: Tensor
    let finalNormed: Tensor
    /// One row of a stacked projection (q|k|v or gate|up) for single-row steps.
    let stackedRow: Tensor
    let attentionScratch: AttentionScratch

    init(config c: LlamaConfig, rows n: Int, maxKeys: Int) {
        rows = n
        residual = Tensor(shape: [n, c.hiddenSize]); normed = Tensor(shape: [n, c.hiddenSize]); rstd = Tensor(shape: [n])
        q = Tensor(shape: [n, c.queryWidth]); k = Tensor(shape: [n, c.keyValueWidth]); v = Tensor(shape: [n, c.keyValueWidth])
        attention = Tensor(shape: [n, c.queryWidth])
        gate = Tensor(shape: [n, c.intermediateSize]); up = Tensor(shape: [n, c.intermediateSize])
        swiglu = Tensor(shape: [n, c.intermediateSize])
        finalNormed = Tensor(shape: [n, c.hiddenSize])
        stackedRow = Tensor(shape: [max(c.queryWidth + 2 * c.keyValueWidth, 2 * c.intermediateSize)])
        attentionScratch = AttentionScratch(maxKeys: maxKeys)
    }
}
