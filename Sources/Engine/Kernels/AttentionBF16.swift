// Attention's products in bf16 (`Precision.bf16`). Forward: the same blocks, masking and softmax as
// `Attention.forwardGroup`, with the scores S = bf16(scale·Q) bf16(K)ᵀ and the output
// O = bf16(exp(S - max)) bf16(V) through oneDNN (`BF16DenseProduct`), float32 accumulation.
// The softmax, its sums, the lse and the output stay float32. scale = 1/sqrt(HS) is folded into Q
// before rounding (exact for HS = 64, a power of two).
// Shapes per call (one kv head, `heads` query heads): keys, values [Kp, HS] bf16 (all visible
// positions, rows past the last key zero), q [Mp, HS], scores [Mp, Np] f32, p [Mp, Np] bf16,
// o [Mp, HS] f32, where Mp = heads·rows padded to 16 and Np = keys padded to 32, so a few
// shapes cover every call (a primitive is compiled per shape). A prefix shared by the sequences of
// one `forwardCached` call (the few-shot context of an evaluation window) is rounded once per
// worker and kv head, not once per sequence (`reusingFirstSpan`). Backward: `backwardGroupBF16`.

import Foundation

extension Attention {
    static func forwardGroupBF16(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>?, lseHeadStride: Int,
                                 q: UnsafePointer<Float>, qStride qs: Int, heads: Int,
                                 spans: UnsafeBufferPointer<KeySpan>, kvStride kvs: Int,
                                 keyMask: UnsafePointer<Int32>?, queries: Int, firstPosition: Int,
                                 headSize hs: Int, scale: Float, panelRows: Int, buffers: AttentionBF16Buffers,
                                 reusingFirstSpan: Bool = false) {
        let positionsPerBlock = max(1, panelRows / heads)
        let totalKeys = firstPosition + queries
        let maxRows = BF16DenseProduct.paddedRows(heads * min(queries, positionsPerBlock))
        buffers.reserve(rows: maxRows, keys: BF16DenseProduct.paddedColumns(totalKeys), headSize: hs)
        buffers.roundKeysAndValues(spans: spans, count: totalKeys, kvStride: kvs, headSize: hs, reusingFirstSpan: reusingFirstSpan)
        var i0 = 0
        while i0 < queries {
            let i1 = min(queries, i0 + positionsPerBlock), rows = i1 - i0, keys = firstPosition + i1
            let stackedRows = heads * rows
            let mp = BF16DenseProduct.paddedRows(stackedRows), np = BF16DenseProduct.paddedColumns(keys)
            // Row j·rows + r = head j, position i0 + r.
            for j in 0..<heads {
                buffers.roundScaledQueries(q + i0 * qs + j * hs, stride: qs, rows: rows, scale: scale, into: j * rows, headSize: hs)
            }
            BF16DenseProduct.multiply(c: buffers.scores, a: buffers.q, b: buffers.keys, m: mp, n: np, k: hs, transposedB: true)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: stackedRows) { inverseSums in
                for row in 0..<stackedRows {
                    let j = row / rows, r = row % rows, pos = firstPosition + i0 + r
                    let scores = buffers.scores + row * np
                    let (l, sum) = expRowInPlace(scores, keys: np, lastVisible: pos, keyMask: keyMask)
                    lse?[j * lseHeadStride + i0 + r] = l
                    inverseSums[row] = sum > 0 ? 1 / sum : 0
                    RowKernelDispatch.current.roundToBF16(buffers.probabilities + row * np, scores, np)
                }
                BF16DenseProduct.multiply(c: buffers.output, a: buffers.probabilities, b: buffers.values, m: mp, n: hs, k: np, transposedB: false)
                for row in 0..<stackedRows {
                    let j = row / rows, r = row % rows, inverse = inverseSums[row]
                    let from = buffers.output + row * hs, to = out + (i0 + r) * qs + j * hs
                    for d in 0..<hs { to[d] = from[d] * inverse }
                }
            }
            i0 = i1
        }
    }
}

extension Attention {
    /// The backward of one (sequence, kv head) with its `heads` query heads (head j's rows at
    /// q + j·HS, its lse at lse + j·lseHeadStride), the five products in bf16: the scores S and
    /// dP = dO Vᵀ, then dQ += scale·dS K, dK += dSᵀ (scale·Q), dV += Pᵀ dO. P and dS are computed in
    /// float32 from the float32 S, dP and the forward's lse (`scoreGradients`), then rounded.
    /// Accumulates (`+=`) into dq, dk, dv like `backward`.
    /// Operands per block of `rows` query positions over keys = i1 (Mp = rows padded to 16, Rp = rows
    /// padded to 32, Np = keys padded to 32, Kp = keys padded to 16): q, dO [Rp, HS] bf16 (rows past
    /// the block zero, as they are an inner dimension of dK and dV), keys, values [Np, HS] bf16,
    /// scores and dP [Mp, Np] f32, P and dS [Mp, Np] bf16, Pᵀ and dSᵀ [Kp, Rp] bf16 (columns past
    /// the block zero), output [max(Mp, Kp), HS] f32.
    static func backwardGroupBF16(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                                  dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  out: UnsafePointer<Float>, lse: UnsafePointer<Float>, lseHeadStride: Int,
                                  keyMask: UnsafePointer<Int32>?, seqLen t: Int, heads: Int, qStride qs: Int, kvStride kvs: Int,
                                  headSize hs: Int, scale: Float, blockRows: Int, buffers: AttentionBF16Buffers) {
        buffers.reserve(rows: BF16DenseProduct.paddedColumns(min(blockRows, t)), keys: BF16DenseProduct.paddedColumns(t),
                        headSize: hs, backward: true)
        let whole = KeySpan(keys: k, values: v, start: 0, end: t)
        withUnsafePointer(to: whole) { span in
            buffers.roundKeysAndValues(spans: UnsafeBufferPointer(start: span, count: 1), count: t, kvStride: kvs, headSize: hs)
        }
        let round = RowKernelDispatch.current.roundToBF16
        for h in 0..<heads {
            let qh = q + h * hs, oh = out + h * hs, doh = dout + h * hs, dqh = dq + h * hs
            let lseRow = lse + h * lseHeadStride
            var i0 = 0
            while i0 < t {
                let i1 = min(t, i0 + blockRows), rows = i1 - i0, keys = i1
                let mp = BF16DenseProduct.paddedRows(rows), rp = BF16DenseProduct.paddedColumns(rows)
                let np = BF16DenseProduct.paddedColumns(keys), kp = BF16DenseProduct.paddedRows(keys)
                buffers.roundScaledQueries(qh + i0 * qs, stride: qs, rows: rows, scale: scale, into: 0, headSize: hs)
                for r in 0..<rows { round(buffers.outputGradient + r * hs, doh + (i0 + r) * qs, hs) }
                if rp > rows {
                    (buffers.q + rows * hs).update(repeating: 0, count: (rp - rows) * hs)
                    (buffers.outputGradient + rows * hs).update(repeating: 0, count: (rp - rows) * hs)
                }
                BF16DenseProduct.multiply(c: buffers.scores, a: buffers.q, b: buffers.keys, m: mp, n: np, k: hs, transposedB: true)
                BF16DenseProduct.multiply(c: buffers.scoreGradients, a: buffers.outputGradient, b: buffers.values, m: mp, n: np, k: hs, transposedB: true)
                scoreGradients(p: buffers.scores, ds: buffers.scoreGradients, rowStride: np, rows: rows, firstRow: i0, lse: lseRow,
                               keyMask: keyMask, dout: doh, out: oh, qStride: qs, headSize: hs)
                for r in 0..<rows {
                    round(buffers.probabilities + r * np, buffers.scores + r * np, np)
                    round(buffers.scoreGradientsBF16 + r * np, buffers.scoreGradients + r * np, np)
                }
                transpose(buffers.probabilities, rows: rows, columns: kp, rowStride: np, into: buffers.probabilitiesTransposed, rowStride: rp)
                transpose(buffers.scoreGradientsBF16, rows: rows, columns: kp, rowStride: np, into: buffers.scoreGradientsTransposed, rowStride: rp)
                // dQ += scale · dS K.
                BF16DenseProduct.multiply(c: buffers.output, a: buffers.scoreGradientsBF16, b: buffers.keys, m: mp, n: hs, k: np, transposedB: false)
                for r in 0..<rows { Elementwise.axpy(dqh + (i0 + r) * qs, alpha: scale, buffers.output + r * hs, count: hs) }
                // dK += dSᵀ (scale · Q).
                BF16DenseProduct.multiply(c: buffers.output, a: buffers.scoreGradientsTransposed, b: buffers.q, m: kp, n: hs, k: rp, transposedB: false)
                for j in 0..<keys { Elementwise.accumulate(dk + j * kvs, buffers.output + j * hs, count: hs) }
                // dV += Pᵀ dO.
                BF16DenseProduct.multiply(c: buffers.output, a: buffers.probabilitiesTransposed, b: buffers.outputGradient, m: kp, n: hs, k: rp, transposedB: false)
                for j in 0..<keys { Elementwise.accumulate(dv + j * kvs, buffers.output + j * hs, count: hs) }
                i0 = i1
            }
        }
    }

    /// to[c, r] = from[r, c] for r < rows, c < columns; to[c, r] = 0 for rows <= r < toStride.
    private static func transpose(_ from: UnsafePointer<UInt16>, rows: Int, columns: Int, rowStride: Int,
                                  into to: UnsafeMutablePointer<UInt16>, rowStride toStride: Int) {
        for c in 0..<columns {
            let row = to + c * toStride
            for r in 0..<rows { row[r] = from[r * rowStride + c] }
            if toStride > rows { (row + rows).update(repeating: 0, count: toStride - rows) }
        }
    }
}

/// One worker's operands for `forwardGroupBF16` and `backwardGroupBF16`, grown on demand (each
/// worker owns one, so no lock). `output` holds max(rows, keys) rows: the backward's dK and dV
/// products have one row per key.
public final class AttentionBF16Buffers: @unchecked Sendable {
    private(set) var q = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var keys = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var values = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var probabilities = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var scores = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private(set) var output = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    // Backward only, allocated on its first `reserve(..., backward: true)`.
    private(set) var outputGradient = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var scoreGradients = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    private(set) var scoreGradientsBF16 = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var probabilitiesTransposed = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private(set) var scoreGradientsTransposed = UnsafeMutablePointer<UInt16>.allocate(capacity: 0)
    private var rowCapacity = 0, keyCapacity = 0, headSize = 0, hasBackward = false
    /// The first span whose bf16 keys and values fill rows 0..<end of `keys` and `values`. Only
    /// trusted while the float32 keys cannot change, within one `Attention.forwardCached` call
    /// (`forgetRoundedSpan` at its start).
    private var roundedSpan: (keys: UnsafePointer<Float>, values: UnsafePointer<Float>, end: Int)?

    init() {}

    deinit { releaseForward(); releaseBackward() }

    /// Room for `rows` query rows (padded) over `keys` positions (padded) of head size `headSize`,
    /// and for the backward's operands too when `backward`. Every pointer is always a live
    /// allocation (the backward's are empty until first asked for).
    func reserve(rows: Int, keys: Int, headSize: Int, backward: Bool = false) {
        if rows > rowCapacity || keys > keyCapacity || headSize != self.headSize {
            releaseForward()
            roundedSpan = nil
            rowCapacity = max(rows, rowCapacity); keyCapacity = max(keys, keyCapacity); self.headSize = headSize
            q = Self.zeroed(rowCapacity * headSize)
            self.keys = Self.zeroed(keyCapacity * headSize)
            values = Self.zeroed(keyCapacity * headSize)
            probabilities = Self.zeroed(rowCapacity * keyCapacity)
            scores = Self.zeroed(rowCapacity * keyCapacity)
            output = Self.zeroed(max(rowCapacity, keyCapacity) * headSize)
            if hasBackward { allocateBackward() }
        }
        if backward && !hasBackward { allocateBackward() }
    }

    /// The backward's operands at the current capacities (replacing the previous ones).
    private func allocateBackward() {
        releaseBackward()
        outputGradient = Self.zeroed(rowCapacity * headSize)
        scoreGradients = Self.zeroed(rowCapacity * keyCapacity)
        scoreGradientsBF16 = Self.zeroed(rowCapacity * keyCapacity)
        probabilitiesTransposed = Self.zeroed(keyCapacity * rowCapacity)
        scoreGradientsTransposed = Self.zeroed(keyCapacity * rowCapacity)
        hasBackward = true
    }

    /// Forgets which span the buffers hold: its float32 keys may change after this.
    func forgetRoundedSpan() { roundedSpan = nil }

    /// keys, values rows 0..<count = bf16 of the spans' positions (at kv head offset, row stride
    /// kvStride), rows up to count padded to 32 zero (finite, so padded products stay exact).
    /// `reusingFirstSpan`: rows of the first span already rounded by the previous call (same
    /// pointers, since `forgetRoundedSpan`) are kept, not rounded again.
    func roundKeysAndValues(spans: UnsafeBufferPointer<KeySpan>, count: Int, kvStride kvs: Int, headSize hs: Int,
                            reusingFirstSpan: Bool = false) {
        let round = RowKernelDispatch.current.roundToBF16
        var kept = 0
        if reusingFirstSpan, let held = roundedSpan, let first = spans.first, first.keys == held.keys, first.values == held.values {
            kept = min(held.end, count)
        }
        for span in spans {
            let from = max(span.start, kept), to = min(span.end, count)
            guard from < to else { continue }
            for j in from..<to {
                round(keys + j * hs, span.keys + j * kvs, hs)
                round(values + j * hs, span.values + j * kvs, hs)
            }
        }
        // Later spans start at the first one's end and the padding at count: rows below both hold it.
        roundedSpan = reusingFirstSpan ? spans.first.map { ($0.keys, $0.values, min($0.end, count)) } : nil
        let padded = BF16DenseProduct.paddedColumns(count)
        if padded > count {
            (keys + count * hs).update(repeating: 0, count: (padded - count) * hs)
            (values + count * hs).update(repeating: 0, count: (padded - count) * hs)
        }
    }

    /// q rows first..<first + rows = bf16(scale · rows of `from`, row stride `stride`).
    func roundScaledQueries(_ from: UnsafePointer<Float>, stride: Int, rows: Int, scale: Float, into first: Int, headSize hs: Int) {
        let round = RowKernelDispatch.current.roundToBF16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: hs) { scaled in
            for r in 0..<rows {
                let row = from + r * stride
                for d in 0..<hs { scaled[d] = row[d] * scale }
                round(q + (first + r) * hs, scaled.baseAddress!, hs)
            }
        }
    }

    static func zeroed<T: Numeric>(_ n: Int) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
    }

    private func releaseForward() {
        q.deallocate(); keys.deallocate(); values.deallocate(); probabilities.deallocate()
        scores.deallocate(); output.deallocate()
    }

    private func releaseBackward() {
        outputGradient.deallocate(); scoreGradients.deallocate(); scoreGradientsBF16.deallocate()
        probabilitiesTransposed.deallocate(); scoreGradientsTransposed.deallocate()
    }
}
