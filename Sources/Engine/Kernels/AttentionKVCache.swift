// Incremental (KV-cache) attention forward for generation and prefix reuse. Forward only.
// Shapes: N packed new queries, S cache capacity (positions per sequence), q, out [N, NH*HS]; each
//   sequence (`CachedQueries`) owns rows queryRow ..< queryRow + count of q/out and reads its keys and
//   values [positions, NKV*HS] (already rotated by RoPE) from one or more `KeySpan`s; keyMask
//   [positions] (1 = real, nil = all real). The batched form: keyCache, valueCache [B, S, NKV*HS],
//   keyMask [B, S], startPositions [B], q/out [B, Tq, NH*HS].
// Query t of a sequence sits at position p = firstPosition + t and sees cached keys j <= p with
// keyMask[j] != 0, exactly as the full forward would for the same positions. The caller writes the
// new keys/values into the cache (e.g. with `writeCache`) before calling.

/// Keys and values of positions [start, end) of one sequence, read from `keys`/`values` indexed
/// by absolute position (stride NKV·HS, already offset to the kv head). A sequence's visible keys
/// may come in several spans: a prefix shared with other cache rows, then its own.
public struct KeySpan {
    public let keys: UnsafePointer<Float>
    public let values: UnsafePointer<Float>
    public let start: Int, end: Int

    public init(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, start: Int, end: Int) {
        self.keys = keys; self.values = values; self.start = start; self.end = end
    }
}

/// The new queries of one cached sequence: packed rows `queryRow ..< queryRow + count` of q/out sit
/// at positions firstPosition + 0..<count and see the keys of `spans` (positions, at kv head 0).
public struct CachedQueries {
    public let queryRow: Int, count: Int, firstPosition: Int
    public let spans: [KeySpan]
    /// [positions] 1 = real; nil when every visible slot is real (skips the per-key test).
    public let keyMask: UnsafePointer<Int32>?

    public init(queryRow: Int, count: Int, firstPosition: Int, spans: [KeySpan], keyMask: UnsafePointer<Int32>?) {
        precondition(spans.first?.start == 0, "CachedQueries: spans must start at position 0")
        for (a, b) in zip(spans, spans.dropFirst()) {
            precondition(a.end == b.start, "CachedQueries: spans \(a.start)..<\(a.end) and \(b.start)..<\(b.end) are not contiguous")
        }
        precondition(spans.last!.end >= firstPosition + count,
                     "CachedQueries: spans end at \(spans.last!.end), queries reach \(firstPosition + count)")
        self.queryRow = queryRow; self.count = count; self.firstPosition = firstPosition
        self.spans = spans; self.keyMask = keyMask
    }
}

public extension Attention {
    /// Attention of packed new queries `q, out [N, NH*HS]` over cached keys: every (sequence, head)
    /// pair is one unit of a single parallel region, so a window of short sequences keeps both
    /// workers busy instead of starting a region per sequence.
    static func forwardCached(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, sequences: [CachedQueries],
                              heads nh: Int, kvHeads nkv: Int, headSize hs: Int, scratch: AttentionScratch,
                              precision: Precision = .f32) {
        checkShapes(t: 1, nh: nh, nkv: nkv, hs: hs, scratch: scratch)
        for sequence in sequences {
            precondition(sequence.firstPosition + sequence.count <= scratch.maxKeys,
                         "Attention.forwardCached: \(sequence.firstPosition + sequence.count) keys exceed the scratch's maxKeys \(scratch.maxKeys)")
        }
        let qs = nh * hs, kvs = nkv * hs, group = nh / nkv
        let scale = Float(1 / Double(hs).squareRoot())
        // Scores and weighted values: 2 · queries · visible keys · head size per head.
        let work = sequences.reduce(0) { $0 + 2 * nh * $1.count * ($1.firstPosition + $1.count) * hs }
        // One unit per (sequence, kv head): its `group` query heads are stacked into one product
        // per block. Inference uses both of a worker's panels as one, twice as tall.
        let panelRows = 2 * scratch.blockRows
        // Units go kv head by kv head, so a worker meets the same head's shared prefix again and
        // bf16 keeps its rounded copy (valid while this call runs: the cache does not change).
        if precision == .bf16 { for buffers in scratch.bf16Workers { buffers.forgetRoundedSpan() } }
        scratch.run(units: sequences.count * nkv, work: work) { worker, unit in
            let sequence = sequences[unit % sequences.count], g = unit / sequences.count
            let headSpans = sequence.spans.map {
                KeySpan(keys: $0.keys + g * hs, values: $0.values + g * hs, start: $0.start, end: $0.end)
            }
            headSpans.withUnsafeBufferPointer { spans in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * panelRows * hs) { stacked in
                    forwardGroup(out: out + sequence.queryRow * qs + g * group * hs, lse: nil, lseHeadStride: 0,
                                 q: q + sequence.queryRow * qs + g * group * hs, qStride: qs, heads: group,
                                 spans: spans, kvStride: kvs, keyMask: sequence.keyMask, queries: sequence.count,
                                 firstPosition: sequence.firstPosition, headSize: hs, scale: scale,
                                 panel: scratch.scores(worker), panelRows: panelRows, stacked: stacked.baseAddress!,
                                 bf16: scratch.bf16(worker, precision), reusingFirstSpan: true)
                }
            }
        }
    }

    /// B sequences of `tq` new queries each, every one over its own cache row `[S, NKV*HS]`.
    static func forwardCached(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                              keyCache: UnsafePointer<Float>, valueCache: UnsafePointer<Float>, cacheCapacity s: Int,
                              keyMask: UnsafePointer<Int32>?, startPositions: [Int], batch: Int, queries tq: Int,
                              heads nh: Int, kvHeads nkv: Int, headSize hs: Int, scratch: AttentionScratch,
                              precision: Precision = .f32) {
        precondition(startPositions.count == batch, "Attention.forwardCached: \(startPositions.count) start positions for batch \(batch)")
        let kvs = nkv * hs
        let sequences = startPositions.enumerated().map { b, p0 in
            precondition(p0 >= 0 && p0 + tq <= s, "Attention.forwardCached: row \(b) positions \(p0)..<\(p0 + tq) exceed the cache capacity \(s)")
            return CachedQueries(queryRow: b * tq, count: tq, firstPosition: p0,
                                 spans: [KeySpan(keys: keyCache + b * s * kvs, values: valueCache + b * s * kvs, start: 0, end: p0 + tq)],
                                 keyMask: keyMask.map { $0 + b * s })
        }
        forwardCached(out: out, q: q, sequences: sequences, heads: nh, kvHeads: nkv, headSize: hs, scratch: scratch, precision: precision)
    }

    /// Copies new rows `src [B, count, width]` into `cache [B, S, width]` at positions
    /// startPositions[b] ..< startPositions[b] + count (`=`).
    static func writeCache(_ cache: UnsafeMutablePointer<Float>, cacheCapacity s: Int, from src: UnsafePointer<Float>,
                           startPositions: [Int], batch: Int, count: Int, width: Int) {
        precondition(startPositions.count == batch, "Attention.writeCache: \(startPositions.count) start positions for batch \(batch)")
        for b in 0..<batch {
            let p0 = startPositions[b]
            precondition(p0 >= 0 && p0 + count <= s, "Attention.writeCache: row \(b) positions \(p0)..<\(p0 + count) exceed capacity \(s)")
            (cache + (b * s + p0) * width).update(from: src + b * count * width, count: count * width)
        }
    }
}
