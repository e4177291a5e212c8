// Incremental (KV-cache) attention forward for generation and prefix reuse. Forward only.
// Shapes: B batch, Tq new queries per sequence, S cache capacity (positions per sequence),
//   q, out [B, Tq, NH*HS]; keyCache, valueCache [B, S, NKV*HS] (keys already rotated by RoPE);
//   keyMask [B, S] (1 = real, nil = all real); startPositions [B]: the position of row b's first query.
// Query t of row b sits at position p = startPositions[b] + t and sees cached keys j <= p with keyMask[b, j] != 0,
// exactly as the full forward would for the same positions. The caller writes the new keys/values into the
// cache (e.g. with `writeCache`) before calling.

public extension Attention {
    static func forwardCached(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                              keyCache: UnsafePointer<Float>, valueCache: UnsafePointer<Float>, cacheCapacity s: Int,
                              keyMask: UnsafePointer<Int32>?, startPositions: [Int], batch: Int, queries tq: Int,
                              heads nh: Int, kvHeads nkv: Int, headSize hs: Int, scratch: AttentionScratch) {
        precondition(startPositions.count == batch, "Attention.forwardCached: \(startPositions.count) start positions for batch \(batch)")
        for (b, p0) in startPositions.enumerated() {
            precondition(p0 >= 0 && p0 + tq <= s, "Attention.forwardCached: row \(b) positions \(p0)..<\(p0 + tq) exceed the cache capacity \(s)")
            precondition(p0 + tq <= scratch.maxKeys, "Attention.forwardCached: \(p0 + tq) keys exceed the scratch's maxKeys \(scratch.maxKeys)")
        }
        checkShapes(t: 1, nh: nh, nkv: nkv, hs: hs, scratch: scratch)
        let qs = nh * hs, kvs = nkv * hs, group = nh / nkv
        let scale = Float(1 / Double(hs).squareRoot())
        startPositions.withUnsafeBufferPointer { starts in
            // Scores and weighted values: 2 · queries · visible keys · head size per head.
            let work = starts.reduce(0) { $0 + 2 * nh * tq * ($1 + tq) * hs }
            scratch.run(units: batch * nh, work: work) { worker, unit in
                let b = unit / nh, h = unit % nh, g = h / group
                forwardHead(out: out + b * tq * qs + h * hs, lse: nil,
                            q: q + b * tq * qs + h * hs, qStride: qs,
                            k: keyCache + b * s * kvs + g * hs, v: valueCache + b * s * kvs + g * hs, kvStride: kvs,
                            keyMask: keyMask.map { $0 + b * s }, queries: tq, firstPosition: starts[b],
                            headSize: hs, scale: scale, panel: scratch.scores(worker), blockRows: scratch.blockRows)
            }
        }
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
