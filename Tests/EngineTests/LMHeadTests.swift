import XCTest
import Engine

final class LMHeadTests: XCTestCase {
    let n = 7, c = 12, v = 37
    let targets: [Int32] = [3, -100, 36, 0, -100, 17, 5]

    /// float64 logits [N, V] = h E^T.
    func logits(_ h: [Double], _ e: [Double]) -> [Double] { matmulT(h, e, rows: n, inner: c, cols: v) }

    /// Per-row log p(target) in float64 (0 for ignored rows).
    func logProbs(_ h: [Double], _ e: [Double]) -> [Double] {
        let l = logits(h, e)
        return (0..<n).map { i in
            guard targets[i] != -100 else { return 0 }
            let row = l[(i * v)..<((i + 1) * v)]
            let m = row.max()!
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            return l[i * v + Int(targets[i])] - lse
        }
    }

    func testLossAndGradientMatchFloat64AndAreIndependentOfChunkSize() {
        var rng = SplitMix64(seed: 61)
        let h = rng.floats(n * c, scale: 2), e = rng.floats(v * c)
        let ht = tensor(h), et = tensor(e)
        let hd = doubles(h), ed = doubles(e)
        let valid = targets.filter { $0 != -100 }.count
        let refNLL = -logProbs(hd, ed).reduce(0, +)
        let gradScale = Float(1) / Float(valid)
        // d(mean NLL)/dh: gradient of sum(logProbs * (-1/valid)).
        let fd = finiteDifferenceGradient(hd, weights: [Double](repeating: -1 / Double(valid), count: n)) { self.logProbs($0, ed) }

        var results: [(LMHead.LossResult, [Float])] = []
        for chunk in [3, 1, 100] {
            let scratch = LMHeadScratch(vocab: v, channels: c, chunkRows: chunk)
            let pre = rng.floats(n * c)
            let dh = tensor(pre)
            let r = targets.withUnsafeBufferPointer { tp in
                LMHead.loss(h: ht.data, weight: et.data, targets: tp.baseAddress!, rows: n, channels: c, vocab: v,
                            dh: dh.data, gradScale: gradScale, scratch: scratch)
            }
            XCTAssertEqual(r.validCount, valid)
            XCTAssertEqual(r.sumNLL, refNLL, accuracy: 1e-5, "chunk \(chunk): summed NLL")
            let grad = zip(dh.array, pre).map { $0 - $1 }
            assertGradient(grad, fd, atol: 1e-7, "lm-head dh (chunk \(chunk))")
            // Ignored rows receive exactly nothing.
            for i in 0..<n where targets[i] == -100 { for k in 0..<c { XCTAssertEqual(grad[i * c + k], 0) } }
            results.append((r, grad))
        }
        // OpenBLAS picks different kernels by row count (sgemv for one row, small-matrix kernels for a
        // few), so their float32 summation orders differ: chunk sizes agree to float32 noise, not bit for bit.
        for (r, grad) in results.dropFirst() {
            XCTAssertEqual(r.sumNLL, results[0].0.sumNLL, accuracy: 1e-7 * abs(results[0].0.sumNLL) * Double(n))
            XCTAssertLessThan(maxAbsDiff(grad, doubles(results[0].1)), 1e-7)
        }
        // Without dh the loss is the same.
        let scratch = LMHeadScratch(vocab: v, channels: c, chunkRows: 2)
        let lossOnly = targets.withUnsafeBufferPointer { tp in
            LMHead.loss(h: ht.data, weight: et.data, targets: tp.baseAddress!, rows: n, channels: c, vocab: v,
                        dh: nil, gradScale: 1, scratch: scratch)
        }
        XCTAssertEqual(lossOnly.sumNLL, results[0].0.sumNLL, accuracy: 1e-7 * abs(results[0].0.sumNLL) * Double(n))
        if ProcessInfo.processInfo.environment["METALORA_TEST_VERBOSE"] != nil {
            print("[err] lm-head summed NLL: \(abs(lossOnly.sumNLL - refNLL))")
        }
    }

    func testScoringAndLogitsMatchFloat64() {
        var rng = SplitMix64(seed: 62)
        var h = rng.floats(n * c, scale: 2)
        let e = rng.floats(v * c)
        // Make row 0's target the argmax: h_0 = 3 * E[target] so its logit dominates.
        for k in 0..<c { h[k] = 3 * e[Int(targets[0]) * c + k] }
        let ht = tensor(h), et = tensor(e)
        let scratch = LMHeadScratch(vocab: v, channels: c, chunkRows: 2)
        var logProb = [Double](repeating: .nan, count: n), greedy = [UInt8](repeating: 9, count: n)
        logProb.withUnsafeMutableBufferPointer { lp in greedy.withUnsafeMutableBufferPointer { gp in targets.withUnsafeBufferPointer { tp in
            LMHead.score(logProb: lp.baseAddress!, isGreedy: gp.baseAddress!, h: ht.data, weight: et.data, targets: tp.baseAddress!,
                         rows: n, channels: c, vocab: v, scratch: scratch)
        }}}
        let ref = logProbs(doubles(h), doubles(e))
        let refLogits = logits(doubles(h), doubles(e))
        let err = zip(logProb, ref).reduce(0) { max($0, abs($1.0 - $1.1)) }
        XCTAssertLessThan(err, 2e-6, "log p(target)")
        for i in 0..<n {
            let row = Array(refLogits[(i * v)..<((i + 1) * v)])
            let argmax = row.firstIndex(of: row.max()!)!
            XCTAssertEqual(greedy[i], targets[i] != -100 && argmax == Int(targets[i]) ? 1 : 0, "isGreedy row \(i)")
        }
        XCTAssertEqual(greedy[0], 1)

        // Requested rows (chunked through scratch) and all rows (direct).
        let picked = [6, 0, 3, 3, 5]
        let out = Tensor(shape: [picked.count, v])
        LMHead.logits(out: out.data, h: ht.data, weight: et.data, rowIndices: picked, rows: n, channels: c, vocab: v, scratch: scratch)
        assertValues(out.array, picked.flatMap { refLogits[($0 * v)..<(($0 + 1) * v)] }, atol: 2e-6, "lm-head logits (rows)")
        let all = Tensor(shape: [n, v])
        LMHead.logits(out: all.data, h: ht.data, weight: et.data, rowIndices: nil, rows: n, channels: c, vocab: v, scratch: scratch)
        assertValues(all.array, refLogits, atol: 2e-6, "lm-head logits (all)")
    }

    func testShiftedTargetsFollowTheHFLabelConvention() {
        let labels: [Int32] = [-100, -100, 5, 6, -100, 7, 8, -100]   // [2, 4]
        var targets = [Int32](repeating: 0, count: 8)
        labels.withUnsafeBufferPointer { l in targets.withUnsafeMutableBufferPointer { tp in
            LMHead.shiftedTargets(tp.baseAddress!, labels: l.baseAddress!, batch: 2, seqLen: 4)
        }}
        XCTAssertEqual(targets, [-100, 5, 6, -100, 7, 8, -100, -100])
    }

    func testDefaultChunkKeepsLogitsWithin128MB() {
        let rows = LMHeadScratch.defaultChunkRows(vocab: 49_152)
        XCTAssertLessThanOrEqual(rows * 49_152 * 4, 128 << 20)
        XCTAssertGreaterThan(rows, 600)
        XCTAssertEqual(LMHeadScratch.defaultChunkRows(vocab: 49_152, budgetBytes: 32 << 20), 170)
    }
}
