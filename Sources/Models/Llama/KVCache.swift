import Engine

/// Keys (after RoPE) and values of every layer for B sequences of up to `capacity` positions.
///
/// Shapes legend: keys[l], values[l] `[B, S, KW]` (S = capacity, KW = NKV·HS); keyMask `[B, S]`
/// (1 = a real token sits in that slot). `lengths[b]` counts the filled positions of row b.
/// Prefix reuse truncates a row (`lengths[b] = p`) and extends it, or lets other rows start with
/// one row's prefix: `sharePrefix` makes them read it from that row (no copy), `copyPrefix` copies
/// it. A shared few-shot prefix is thus computed and stored once.
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
    /// Positions each row reads from other rows, in order from position 0; the row stores its own
    /// keys from the last span's end on (slots below it are unused).
    public private(set) var borrowed: [[BorrowedSpan]]

    /// Positions [start, end) of a row that live in row `row` of the same cache.
    public struct BorrowedSpan: Equatable, Sendable {
        public let row: Int, start: Int, end: Int
        public init(row: Int, start: Int, end: Int) { self.row = row; self.start = start; self.end = end }
    }

    public init(config c: LlamaConfig, batch: Int, capacity: Int) {
        self.config = c; self.batch = batch; self.capacity = capacity
        // Every row reserves `capacity` positions but most hold fewer: untouched pages cost nothing.
        keys = (0..<c.layerCount).map { _ in Tensor(shape: [batch, capacity, c.keyValueWidth], zeroPagesOnFirstTouch: true) }
        values = (0..<c.layerCount).map { _ in Tensor(shape: [batch, capacity, c.keyValueWidth], zeroPagesOnFirstTouch: true) }
        keyMask = [Int32](repeating: 0, count: batch * capacity)
        lengths = [Int](repeating: 0, count: batch)
        tokens = [[Int32]](repeating: [], count: batch)
        borrowed = [[BorrowedSpan]](repeating: [], count: batch)
    }

    /// First position row b stores itself.
    public func ownStart(row b: Int) -> Int { borrowed[b].last?.end ?? 0 }

    /// Forgets row b's positions from `length` on. Rows that borrow from b must not need them.
    public func truncate(row b: Int, to length: Int) {
        precondition(length >= 0 && length <= lengths[b], "truncate: row \(b) has \(lengths[b]) positions, asked for \(length)")
        for r in 0..<batch where r != b {
            for span in borrowed[r] where span.row == b {
                precondition(span.end <= length, "truncate: row \(r) still reads positions \(span.start)..<\(span.end) of row \(b)")
            }
        }
        for j in length..<lengths[b] { keyMask[b * capacity + j] = 0 }
        lengths[b] = length
        tokens[b].removeLast(tokens[b].count - length)
        borrowed[b] = Self.clip(borrowed[b], to: length)
    }

    /// Empties `rows`, which may borrow from one another but must not lend to rows outside them.
    public func release(rows: Range<Int>) {
        for b in rows { borrowed[b] = [] }
        for b in rows { truncate(row: b, to: 0) }
    }

    public func reset() { release(rows: 0..<batch) }

    /// Row `destination` becomes the first `length` positions of row `source`, read from where
    /// they live (source's own slots or the rows it borrows from) rather than copied; it stores
    /// only what is appended after them. The source must keep those positions while it is read.
    public func sharePrefix(from source: Int, to destination: Int, length: Int) {
        precondition(length <= lengths[source], "sharePrefix: row \(source) has only \(lengths[source]) positions")
        precondition(source != destination, "sharePrefix: row \(source) cannot share with itself")
        precondition(!isLender(destination), "sharePrefix: other rows read from row \(destination)")
        let spans = locations(ofPrefix: length, row: source)
        copyMetadata(from: source, to: destination, length: length)
        borrowed[destination] = spans
    }

    /// Copies the first `length` positions of row `source` into row `destination` (which is
    /// truncated to exactly that prefix and stores all of it).
    public func copyPrefix(from source: Int, to destination: Int, length: Int) {
        precondition(length <= lengths[source], "copyPrefix: row \(source) has only \(lengths[source]) positions")
        guard source != destination else { truncate(row: destination, to: length); return }
        precondition(!isLender(destination), "copyPrefix: other rows read from row \(destination)")
        let kw = config.keyValueWidth
        let pieces = locations(ofPrefix: length, row: source)
        for l in 0..<config.layerCount {
            for piece in pieces {
                let from = (piece.row * capacity + piece.start) * kw, to = (destination * capacity + piece.start) * kw
                (keys[l].data + to).update(from: keys[l].data + from, count: (piece.end - piece.start) * kw)
                (values[l].data + to).update(from: values[l].data + from, count: (piece.end - piece.start) * kw)
            }
        }
        copyMetadata(from: source, to: destination, length: length)
        borrowed[destination] = []
    }

    func copyMetadata(from source: Int, to destination: Int, length: Int) {
        for j in 0..<capacity { keyMask[destination * capacity + j] = j < length ? keyMask[source * capacity + j] : 0 }
        lengths[destination] = length
        tokens[destination] = Array(tokens[source].prefix(length))
    }

    /// Where row `source`'s first `length` positions are stored: its borrowed spans, then its own slots.
    func locations(ofPrefix length: Int, row source: Int) -> [BorrowedSpan] {
        let own = ownStart(row: source)
        return Self.clip(borrowed[source], to: length) + (length > own ? [BorrowedSpan(row: source, start: own, end: length)] : [])
    }

    func isLender(_ b: Int) -> Bool { borrowed.contains { $0.contains { $0.row == b } } }

    static func clip(_ spans: [BorrowedSpan], to length: Int) -> [BorrowedSpan] {
        spans.compactMap { $0.start < length ? BorrowedSpan(row: $0.row, start: $0.start, end: min($0.end, length)) : nil }
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
