// LM head (logits = h E^T) with causal-LM loss, scoring and logits output, chunked over rows so the
// [N, V] logits are never materialised.
// Shapes: h, dh [N, C] (N = B*T rows, C channels); E [V, C] (output weight; tied = the embedding table);
//   targets [N] Int32: targets[i] = the token row i must predict (the caller has already shifted HF labels:
//   targets[b*T + t] = labels[b, t+1], last position -100), or -100 = ignored.
// Log-sum-exp: max subtraction in Float, exponentials vectorised, their sum widened to Double.
// Scratch: LMHeadScratch holds, per chunk of R rows, logits [R, V], gathered h [R, C], row indices, per-row NLL.

import Foundation

public final class LMHeadScratch: @unchecked Sendable {
    public let chunkRows: Int
    public let vocab: Int
    public let channels: Int
    let logits: UnsafeMutablePointer<Float>     // [chunkRows, V]
    let hidden: UnsafeMutablePointer<Float>     // [chunkRows, C] gathered rows of h / their gradient
    let rowIndex: UnsafeMutablePointer<Int>     // [chunkRows]
    let rowValue: UnsafeMutablePointer<Double>  // [chunkRows] per-row NLL, summed in order (deterministic)

    /// Rows per chunk so a chunk's logits stay within `budgetBytes` (default 128 MB: 682 rows at
    /// V = 49,152). Every chunk's sgemm re-packs the whole [V, C] output matrix, so fewer, larger
    /// chunks are faster; 128 MB keeps 8 × 512 training far inside its memory budget.
    public static func defaultChunkRows(vocab: Int, budgetBytes: Int = 128 << 20) -> Int {
        max(1, budgetBytes / (vocab * MemoryLayout<Float>.stride))
    }

    public init(vocab: Int, channels: Int, chunkRows: Int? = nil) {
        let r = chunkRows ?? Self.defaultChunkRows(vocab: vocab)
        precondition(r > 0 && vocab > 0 && channels > 0, "LMHeadScratch: sizes must be positive")
        self.chunkRows = r; self.vocab = vocab; self.channels = channels
        logits = .allocate(capacity: r * vocab); logits.initialize(repeating: 0, count: r * vocab)
        hidden = .allocate(capacity: r * channels); hidden.initialize(repeating: 0, count: r * channels)
        rowIndex = .allocate(capacity: r); rowIndex.initialize(repeating: 0, count: r)
        rowValue = .allocate(capacity: r); rowValue.initialize(repeating: 0, count: r)
    }

    deinit { logits.deallocate(); hidden.deallocate(); rowIndex.deallocate(); rowValue.deallocate() }
}

public enum LMHead {
    public static let ignoreIndex: Int32 = -100

    public struct LossResult: Sendable, Equatable {
        /// Sum over valid rows of -log p(target), accumulated in Double.
        public var sumNLL: Double
        /// Number of rows whose target is not -100.
        public var validCount: Int
        public init(sumNLL: Double, validCount: Int) { self.sumNLL = sumNLL; self.validCount = validCount }
        public var meanNLL: Double { validCount > 0 ? sumNLL / Double(validCount) : 0 }
    }

    /// Converts HF-aligned labels [B, T] (label t is scored by the logits at t-1) into per-row targets [B*T]
    /// (`=`): targets[b*T + t] = labels[b, t+1] for t < T-1, and -100 for the last position of each sequence.
    public static func shiftedTargets(_ targets: UnsafeMutablePointer<Int32>, labels: UnsafePointer<Int32>,
                                      batch: Int, seqLen t: Int) {
        for b in 0..<batch {
            for i in 0..<t { targets[b * t + i] = i + 1 < t ? labels[b * t + i + 1] : ignoreIndex }
        }
    }

    /// Loss (and optionally its gradient w.r.t. h). Only rows with a target are scored: they are gathered
    /// chunk by chunk, so ignored prompt/padding rows cost nothing.
    /// If `dh` is non-nil it is ACCUMULATED: `dh[i] += gradScale * (softmax(logits_i) - onehot(target_i)) E`
    /// for valid rows (ignored rows get nothing). Use gradScale = 1 / (valid rows of the whole batch) for a mean loss.
    public static func loss(h: UnsafePointer<Float>, weight e: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                            rows n: Int, channels c: Int, vocab v: Int,
                            dh: UnsafeMutablePointer<Float>?, gradScale: Float, scratch: LMHeadScratch,
                            bf16 packed: BF16Linear? = nil) -> LossResult {
        checkScratch(scratch, c: c, v: v)
        var result = LossResult(sumNLL: 0, validCount: 0)
        forEachValidChunk(h: h, weight: e, targets: targets, rows: n, channels: c, vocab: v, scratch: scratch, bf16: packed) { count in
            Parallel.forEachChunk(count, costPerItem: 3 * v) { range in
                for r in range {
                    let row = scratch.logits + r * v
                    let target = Int(targets[scratch.rowIndex[r]])
                    let targetLogit = row[target]
                    let m = rowMax(row, v)
                    let sum = expShiftedInPlaceSum(row, v, shift: m)   // row = exp(logits - max)
                    scratch.rowValue[r] = Double(m) + log(sum) - Double(targetLogit)
                    if dh != nil {
                        // Row becomes gradScale * (softmax - onehot), the gradient w.r.t. the logits.
                        scaleInPlace(row, v, Float(Double(gradScale) / sum))
                        row[target] -= gradScale
                    }
                }
            }
            for r in 0..<count { result.sumNLL += scratch.rowValue[r] }
            result.validCount += count
            if let dh {
                // dh rows of the chunk = G E, computed densely then scattered (+=) to their rows.
                if let packed {
                    packed.backwardInput(dx: scratch.hidden, dy: scratch.logits, rows: count, beta: 0)
                } else {
                    BLAS.sgemm(transA: false, transB: false, m: count, n: c, k: v,
                               a: scratch.logits, lda: v, b: e, ldb: c, beta: 0, c: scratch.hidden, ldc: c)
                }
                for r in 0..<count {
                    Elementwise.accumulate(dh + scratch.rowIndex[r] * c, scratch.hidden + r * c, count: c)
                }
            }
        }
        return result
    }

    /// lm-eval style scoring: for every row with a target, `logProb[i] = log p(target_i)` (Double, `=`)
    /// and `isGreedy[i] = 1` iff the target is the first argmax of the logits (as torch.argmax), else 0.
    /// Rows with target -100 get logProb 0 and isGreedy 0.
    public static func score(logProb: UnsafeMutablePointer<Double>, isGreedy: UnsafeMutablePointer<UInt8>,
                             h: UnsafePointer<Float>, weight e: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                             rows n: Int, channels c: Int, vocab v: Int, scratch: LMHeadScratch, bf16 packed: BF16Linear? = nil) {
        checkScratch(scratch, c: c, v: v)
        logProb.update(repeating: 0, count: n)
        isGreedy.update(repeating: 0, count: n)
        forEachValidChunk(h: h, weight: e, targets: targets, rows: n, channels: c, vocab: v, scratch: scratch, bf16: packed) { count in
            Parallel.forEachChunk(count, costPerItem: 2 * v) { range in
                for r in range {
                    let row = scratch.logits + r * v
                    let i = scratch.rowIndex[r], target = Int(targets[i])
                    let targetLogit = row[target]
                    let m = rowMax(row, v)
                    // Greedy iff the target holds the maximum and no earlier index ties it (torch.argmax picks the first).
                    var greedy = targetLogit == m
                    if greedy { for j in 0..<target where row[j] == m { greedy = false; break } }
                    logProb[i] = Double(targetLogit) - (Double(m) + log(expShiftedInPlaceSum(row, v, shift: m)))
                    isGreedy[i] = greedy ? 1 : 0
                }
            }
        }
    }

    /// Raw logits `out[k] = h[rowIndices[k]] E^T` (`=`), out [rowIndices.count, V]; all N rows in order when
    /// rowIndices is nil (out [N, V]; the caller owns that memory, so it is not chunked).
    public static func logits(out: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, weight e: UnsafePointer<Float>,
                              rowIndices: [Int]?, rows n: Int, channels c: Int, vocab v: Int, scratch: LMHeadScratch,
                              bf16 packed: BF16Linear? = nil) {
        guard let rowIndices else {
            logitsProduct(out: out, h: h, weight: e, rows: n, channels: c, vocab: v, bf16: packed)
            return
        }
        checkScratch(scratch, c: c, v: v)
        var k0 = 0
        while k0 < rowIndices.count {
            let count = min(scratch.chunkRows, rowIndices.count - k0)
            for r in 0..<count {
                let i = rowIndices[k0 + r]
                precondition(i >= 0 && i < n, "LMHead.logits: row index \(i) outside 0..<\(n)")
                (scratch.hidden + r * c).update(from: h + i * c, count: c)
            }
            logitsProduct(out: out + k0 * v, h: scratch.hidden, weight: e, rows: count, channels: c, vocab: v, bf16: packed)
            k0 += count
        }
    }

    /// Gathers the valid rows chunk by chunk into scratch, computes their logits into scratch.logits,
    /// records each chunk row's source row in scratch.rowIndex, then calls body(chunk row count).
    static func forEachValidChunk(h: UnsafePointer<Float>, weight e: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                                  rows n: Int, channels c: Int, vocab v: Int, scratch: LMHeadScratch, bf16 packed: BF16Linear?,
                                  _ body: (Int) -> Void) {
        var i = 0
        while i < n {
            var count = 0
            while i < n && count < scratch.chunkRows {
                let t = targets[i]
                if t != ignoreIndex {
                    precondition(t >= 0 && Int(t) < v, "LMHead: target \(t) at row \(i) is neither -100 nor in 0..<\(v)")
                    scratch.rowIndex[count] = i
                    (scratch.hidden + count * c).update(from: h + i * c, count: c)
                    count += 1
                }
                i += 1
            }
            if count == 0 { continue }
            logitsProduct(out: scratch.logits, h: scratch.hidden, weight: e, rows: count, channels: c, vocab: v, bf16: packed)
            body(count)
        }
    }

    /// `out [N, V] = h E^T`: float32 sgemm, or the bf16 product when the head is packed (`packed`
    /// holds the same E).
    static func logitsProduct(out: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>, weight e: UnsafePointer<Float>,
                              rows n: Int, channels c: Int, vocab v: Int, bf16 packed: BF16Linear?) {
        if let packed {
            packed.forward(y: out, x: h, rows: n)
        } else {
            BLAS.sgemm(transA: false, transB: true, m: n, n: v, k: c, a: h, lda: c, b: e, ldb: c, beta: 0, c: out, ldc: v)
        }
    }

    static func checkScratch(_ s: LMHeadScratch, c: Int, v: Int) {
        precondition(s.vocab == v && s.channels == c,
                     "LMHead: scratch is for V=\(s.vocab), C=\(s.channels) but called with V=\(v), C=\(c)")
    }
}
