// Causal multi-head attention with grouped-query heads and a key-padding mask.
// Shapes: B batch, T sequence length, NH query heads, NKV kv heads (NH % NKV == 0), HS head size.
//   q, out, dout, dq [B, T, NH*HS]; k, v, dk, dv [B, T, NKV*HS]; mask [B, T] (1 = real token, nil = all real);
//   lse [B, NH, T] (per query row log-sum-exp of the scaled scores, saved by forward for backward).
// Visibility: key j is visible to query i iff j <= i and mask[b, j] != 0. Query head h reads kv head
// h / (NH / NKV). Scores are scaled by 1/sqrt(HS). A query with no visible key gets out = 0, lse = -inf.
// Memory plan: forward keeps only out and lse; backward recomputes the probabilities block by block
// (flash-attention math): P = exp(S - lse), dP = dO V^T, D_i = rowsum(dO_i * O_i), dS = P * (dP - D),
// dQ = scale dS K, dK = scale dS^T Q, dV = P^T dO.

import Foundation

public enum Attention {
    /// Forward (`=` into out and lse). Parallel over (b, h), or (b, kv head) in bf16; each worker
    /// uses its own scratch panel.
    public static func forward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               mask: UnsafePointer<Int32>?, batch: Int, seqLen t: Int,
                               heads nh: Int, kvHeads nkv: Int, headSize hs: Int, scratch: AttentionScratch,
                               precision: Precision = .f32) {
        checkShapes(t: t, nh: nh, nkv: nkv, hs: hs, scratch: scratch)
        let qs = nh * hs, kvs = nkv * hs, group = nh / nkv
        let scale = Float(1 / Double(hs).squareRoot())
        // bf16 runs a kv head's query heads as one unit, stacked, so its keys and values are
        // rounded once, not once per query head; only where the stack reaches bf16's 16 rows
        // (`forwardGroup`), since float32 needs a stacking buffer for several heads.
        let heads = precision == .bf16 && group * t >= BF16DenseProduct.rowAlignment ? group : 1
        let unitsPerSequence = nh / heads
        scratch.run(units: batch * unitsPerSequence) { worker, unit in
            let b = unit / unitsPerSequence, h = (unit % unitsPerSequence) * heads, g = h / group
            forwardHead(out: out + b * t * qs + h * hs, lse: lse + (b * nh + h) * t, lseHeadStride: t,
                        q: q + b * t * qs + h * hs, qStride: qs, heads: heads,
                        k: k + b * t * kvs + g * hs, v: v + b * t * kvs + g * hs, kvStride: kvs,
                        keyMask: mask.map { $0 + b * t }, queries: t, firstPosition: 0,
                        headSize: hs, scale: scale, panel: scratch.scores(worker), blockRows: scratch.blockRows,
                        bf16: scratch.bf16(worker, precision))
        }
    }

    /// Backward. ACCUMULATES (`+=`) into dq, dk, dv — the caller zeroes them (dk/dv sum over the
    /// query heads sharing a kv head). Needs the forward's out and lse. Parallel over (b, kv head),
    /// so each worker owns its dk/dv slice.
    public static func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                out: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                mask: UnsafePointer<Int32>?, batch: Int, seqLen t: Int,
                                heads nh: Int, kvHeads nkv: Int, headSize hs: Int, scratch: AttentionScratch,
                                precision: Precision = .f32) {
        checkShapes(t: t, nh: nh, nkv: nkv, hs: hs, scratch: scratch)
        let qs = nh * hs, kvs = nkv * hs, group = nh / nkv
        let scale = Float(1 / Double(hs).squareRoot())
        let bs = scratch.blockRows
        scratch.run(units: batch * nkv) { worker, unit in
            let b = unit / nkv, g = unit % nkv
            let kb = k + b * t * kvs + g * hs, vb = v + b * t * kvs + g * hs
            let dkb = dk + b * t * kvs + g * hs, dvb = dv + b * t * kvs + g * hs
            let keyMask = mask.map { $0 + b * t }
            if let bf16 = scratch.bf16(worker, precision), t >= BF16DenseProduct.rowAlignment {
                let off = b * t * qs + g * group * hs
                backwardGroupBF16(dq: dq + off, dk: dkb, dv: dvb, dout: dout + off, q: q + off, k: kb, v: vb, out: out + off,
                                  lse: lse + (b * nh + g * group) * t, lseHeadStride: t, keyMask: keyMask, seqLen: t,
                                  heads: group, qStride: qs, kvStride: kvs, headSize: hs, scale: scale, blockRows: bs, buffers: bf16)
                return
            }
            let p = scratch.scores(worker), ds = scratch.gradients(worker)
            for h in (g * group)..<((g + 1) * group) {
                let off = b * t * qs + h * hs
                let qb = q + off, ob = out + off, dob = dout + off, dqb = dq + off
                let lseRow = lse + (b * nh + h) * t
                var i0 = 0
                while i0 < t {
                    let i1 = min(t, i0 + bs), rows = i1 - i0, keys = i1
                    // P = exp(scale Q K^T - lse), masked.
                    BLAS.sgemm(transA: false, transB: true, m: rows, n: keys, k: hs, alpha: scale,
                               a: qb + i0 * qs, lda: qs, b: kb, ldb: kvs, beta: 0, c: p, ldc: keys)
                    // dP = dO V^T.
                    BLAS.sgemm(transA: false, transB: true, m: rows, n: keys, k: hs,
                               a: dob + i0 * qs, lda: qs, b: vb, ldb: kvs, beta: 0, c: ds, ldc: keys)
                    scoreGradients(p: p, ds: ds, rowStride: keys, rows: rows, firstRow: i0, lse: lseRow, keyMask: keyMask,
                                   dout: dob, out: ob, qStride: qs, headSize: hs)
                    BLAS.sgemm(transA: false, transB: false, m: rows, n: hs, k: keys, alpha: scale,
                               a: ds, lda: keys, b: kb, ldb: kvs, beta: 1, c: dqb + i0 * qs, ldc: qs)
                    BLAS.sgemm(transA: true, transB: false, m: keys, n: hs, k: rows, alpha: scale,
                               a: ds, lda: keys, b: qb + i0 * qs, ldb: qs, beta: 1, c: dkb, ldc: kvs)
                    BLAS.sgemm(transA: true, transB: false, m: keys, n: hs, k: rows,
                               a: p, lda: keys, b: dob + i0 * qs, ldb: qs, beta: 1, c: dvb, ldc: kvs)
                    i0 = i1
                }
            }
        }
    }

    /// Rows firstRow + 0..<rows of one head's block, in place: the scores p (scale·Q Kᵀ) become
    /// P = exp(S - lse) and ds (dO Vᵀ) becomes dS = P * (dP - D_i), D_i = rowsum(dO_i * O_i); masked
    /// keys, keys past the query and columns up to rowStride are exactly 0 (a query with no visible
    /// key, lse = -inf, gets a zero row).
    static func scoreGradients(p: UnsafeMutablePointer<Float>, ds: UnsafeMutablePointer<Float>, rowStride: Int, rows: Int,
                               firstRow i0: Int, lse lseRow: UnsafePointer<Float>, keyMask: UnsafePointer<Int32>?,
                               dout dob: UnsafePointer<Float>, out ob: UnsafePointer<Float>, qStride qs: Int, headSize hs: Int) {
        for r in 0..<rows {
            let i = i0 + r, visible = i + 1
            let pr = p + r * rowStride, dr = ds + r * rowStride
            let l = lseRow[i]
            if !l.isFinite {
                pr.update(repeating: 0, count: rowStride); dr.update(repeating: 0, count: rowStride)
                continue
            }
            if let m = keyMask { for j in 0..<visible where m[j] == 0 { pr[j] = -.infinity } }
            let dsum = dot(dob + i * qs, ob + i * qs, hs)
            expShiftedInPlace(pr, visible, shift: l)
            let vd = SIMD16<Float>(repeating: dsum)
            var j = 0
            while j + 16 <= visible {
                storeVector(loadVector(pr + j) * (loadVector(dr + j) - vd), dr + j)
                j += 16
            }
            while j < visible { dr[j] = pr[j] * (dr[j] - dsum); j += 1 }
            if visible < rowStride {
                (pr + visible).update(repeating: 0, count: rowStride - visible)
                (dr + visible).update(repeating: 0, count: rowStride - visible)
            }
        }
    }

    /// One sequence's query heads h..<h + heads (one, or with `bf16` buffers all of a kv head's):
    /// queries at positions firstPosition + 0..<queries attend over keys [0, firstPosition +
    /// queries) of one contiguous span. Writes out rows (`=`) and, if given, their lse (head j's at
    /// lse + j·lseHeadStride). With `bf16` buffers the products run in bf16 (`forwardGroupBF16`).
    static func forwardHead(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?, lseHeadStride: Int = 0,
                            q: UnsafePointer<Float>, qStride qs: Int, heads: Int = 1,
                            k: UnsafePointer<Float>, v: UnsafePointer<Float>, kvStride kvs: Int,
                            keyMask: UnsafePointer<Int32>?, queries: Int, firstPosition: Int,
                            headSize hs: Int, scale: Float, panel s: UnsafeMutablePointer<Float>, blockRows: Int,
                            bf16: AttentionBF16Buffers? = nil) {
        let whole = KeySpan(keys: k, values: v, start: 0, end: firstPosition + queries)
        withUnsafePointer(to: whole) { span in
            forwardGroup(out: out, lse: lse, lseHeadStride: lseHeadStride, q: q, qStride: qs, heads: heads,
                         spans: UnsafeBufferPointer(start: span, count: 1), kvStride: kvs,
                         keyMask: keyMask, queries: queries, firstPosition: firstPosition, headSize: hs, scale: scale,
                         panel: s, panelRows: blockRows, stacked: nil, bf16: bf16)
        }
    }

    /// The query heads `heads` that read one kv head (grouped-query attention), over keys that may
    /// live in several spans (a shared prefix held by another cache row, then the sequence's own):
    /// `spans` cover [0, firstPosition + queries) in order. Head j's queries and outputs sit at
    /// q + j·HS and out + j·HS of each row; its lse, if given, at lse + j·lseHeadStride.
    ///
    /// A block of query positions is stacked for all the heads ([heads·rows, HS], copied into
    /// `stacked`, which holds 2·panelRows·HS floats; not needed for one head), so each key and
    /// value span is multiplied once per block for every head: the products are `heads` times
    /// taller and BLAS packs K and V once instead of once per head. Scores of every span land side
    /// by side in one panel row ([panelRows, keys]), so the softmax is over all visible keys at once.
    /// `reusingFirstSpan` (bf16 only): see `AttentionBF16Buffers.roundKeysAndValues`.
    static func forwardGroup(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?, lseHeadStride: Int,
                             q: UnsafePointer<Float>, qStride qs: Int, heads: Int,
                             spans: UnsafeBufferPointer<KeySpan>, kvStride kvs: Int,
                             keyMask: UnsafePointer<Int32>?, queries: Int, firstPosition: Int,
                             headSize hs: Int, scale: Float, panel s: UnsafeMutablePointer<Float>, panelRows: Int,
                             stacked: UnsafeMutablePointer<Float>?, bf16: AttentionBF16Buffers? = nil,
                             reusingFirstSpan: Bool = false) {
        // A decoding step's few query rows would be padded to 16 and re-round every key: float32 there.
        if let bf16, heads * queries >= BF16DenseProduct.rowAlignment {
            forwardGroupBF16(out: out, lse: lse, lseHeadStride: lseHeadStride, q: q, qStride: qs, heads: heads, spans: spans,
                             kvStride: kvs, keyMask: keyMask, queries: queries, firstPosition: firstPosition,
                             headSize: hs, scale: scale, panelRows: panelRows, buffers: bf16, reusingFirstSpan: reusingFirstSpan)
            return
        }
        precondition(heads == 1 || stacked != nil, "Attention.forwardGroup: \(heads) heads need a stacking buffer")
        let positionsPerBlock = max(1, panelRows / heads)
        var i0 = 0
        while i0 < queries {
            let i1 = min(queries, i0 + positionsPerBlock), rows = i1 - i0, keys = firstPosition + i1
            let stackedRows = heads * rows
            // The block's queries as one matrix: rows j·rows + r = head j, position i0 + r.
            let a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int
            if heads == 1 {
                a = q + i0 * qs; lda = qs; c = out + i0 * qs; ldc = qs
            } else {
                let qBlock = stacked!, outBlock = stacked! + stackedRows * hs
                for j in 0..<heads {
                    for r in 0..<rows { (qBlock + (j * rows + r) * hs).update(from: q + (i0 + r) * qs + j * hs, count: hs) }
                }
                a = UnsafePointer(qBlock); lda = hs; c = outBlock; ldc = hs
            }
            for span in spans where span.start < keys {
                let width = min(span.end, keys) - span.start
                BLAS.sgemm(transA: false, transB: true, m: stackedRows, n: width, k: hs, alpha: scale,
                           a: a, lda: lda, b: span.keys + span.start * kvs, ldb: kvs, beta: 0, c: s + span.start, ldc: keys)
            }
            // Unnormalised weights exp(S - max) go into the products; each output row is divided by
            // its sum afterwards (head-size values instead of a pass over all its keys).
            withUnsafeTemporaryAllocation(of: Float.self, capacity: stackedRows) { inverseSums in
                for row in 0..<stackedRows {
                    let j = row / rows, r = row % rows, pos = firstPosition + i0 + r
                    let (l, sum) = expRowInPlace(s + row * keys, keys: keys, lastVisible: pos, keyMask: keyMask)
                    lse?[j * lseHeadStride + i0 + r] = l
                    inverseSums[row] = sum > 0 ? 1 / sum : 0
                }
                var beta: Float = 0
                for span in spans where span.start < keys {
                    let width = min(span.end, keys) - span.start
                    BLAS.sgemm(transA: false, transB: false, m: stackedRows, n: hs, k: width,
                               a: s + span.start, lda: keys, b: span.values + span.start * kvs, ldb: kvs, beta: beta, c: c, ldc: ldc)
                    beta = 1
                }
                for row in 0..<stackedRows { scaleInPlace(c + row * ldc, hs, inverseSums[row]) }
            }
            if heads > 1 {
                for j in 0..<heads {
                    for r in 0..<rows { (out + (i0 + r) * qs + j * hs).update(from: c + (j * rows + r) * hs, count: hs) }
                }
            }
            i0 = i1
        }
    }

    /// Replaces the visible scores (j <= lastVisible, mask[j] != 0) by exp(score - max) and the
    /// rest by 0. Returns the log-sum-exp and the sum, or (-inf, 0) when no key is visible.
    @inline(__always)
    static func expRowInPlace(_ row: UnsafeMutablePointer<Float>, keys: Int, lastVisible: Int,
                              keyMask: UnsafePointer<Int32>?) -> (logSumExp: Float, sum: Float) {
        let visible = lastVisible + 1
        if let m = keyMask { for j in 0..<visible where m[j] == 0 { row[j] = -.infinity } }
        let maxv = rowMax(row, visible)
        if maxv == -Float.infinity {
            row.update(repeating: 0, count: keys)
            return (-Float.infinity, 0)
        }
        let sum = Float(expShiftedInPlaceSum(row, visible, shift: maxv))
        if visible < keys { (row + visible).update(repeating: 0, count: keys - visible) }
        return (maxv + logf(sum), sum)
    }

    static func checkShapes(t: Int, nh: Int, nkv: Int, hs: Int, scratch: AttentionScratch) {
        precondition(nkv > 0 && nh % nkv == 0, "Attention: \(nh) query heads are not a multiple of \(nkv) kv heads")
        precondition(hs > 0, "Attention: head size must be positive")
        precondition(t <= scratch.maxKeys, "Attention: seqLen \(t) exceeds the scratch's maxKeys \(scratch.maxKeys)")
    }
}
