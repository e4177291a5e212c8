import XCTest
import Engine

final class AttentionTests: XCTestCase {
    let b = 2, t = 7, nh = 4, nkv = 2, hs = 8
    /// Row 1 is right-padded (5 tokens + 2 pads).
    let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1,
                         1, 1, 1, 1, 1, 0, 0]

    /// Naive float64 attention: returns out [B, T, NH*HS] and lse [B, NH, T].
    func reference(q: [Double], k: [Double], v: [Double], mask: [Int32], seqLen t: Int, batch: Int? = nil) -> (out: [Double], lse: [Double]) {
        let b = batch ?? self.b
        let qs = nh * hs, kvs = nkv * hs, scale = 1 / Double(hs).squareRoot()
        var out = [Double](repeating: 0, count: b * t * qs), lse = [Double](repeating: 0, count: b * nh * t)
        for bi in 0..<b { for h in 0..<nh {
            let g = h / (nh / nkv)
            for i in 0..<t {
                var scores = [Double](repeating: -.infinity, count: t)
                for j in 0...i where mask[bi * t + j] != 0 {
                    var s = 0.0
                    for d in 0..<hs { s += q[(bi * t + i) * qs + h * hs + d] * k[(bi * t + j) * kvs + g * hs + d] }
                    scores[j] = s * scale
                }
                let m = scores.max()!
                if m == -.infinity { lse[(bi * nh + h) * t + i] = -.infinity; continue }
                let e = scores.map { Foundation.exp($0 - m) }
                let sum = e.reduce(0, +)
                lse[(bi * nh + h) * t + i] = m + Foundation.log(sum)
                for d in 0..<hs {
                    var acc = 0.0
                    for j in 0...i { acc += e[j] / sum * v[(bi * t + j) * kvs + g * hs + d] }
                    out[(bi * t + i) * qs + h * hs + d] = acc
                }
            }
        }}
        return (out, lse)
    }

    struct Inputs { let q, k, v, g: [Float] }
    func inputs(seed: UInt64, seqLen t: Int) -> Inputs {
        var rng = SplitMix64(seed: seed)
        return Inputs(q: rng.floats(b * t * nh * hs, scale: 1.5), k: rng.floats(b * t * nkv * hs, scale: 1.5),
                      v: rng.floats(b * t * nkv * hs), g: rng.floats(b * t * nh * hs))
    }

    func runForward(_ x: Inputs, mask: [Int32], seqLen t: Int, scratch: AttentionScratch,
                    precision: Precision = .f32) -> (out: Tensor, lse: Tensor) {
        let out = Tensor(shape: [b, t, nh * hs]), lse = Tensor(shape: [b, nh, t])
        let q = tensor(x.q), k = tensor(x.k), v = tensor(x.v)
        mask.withUnsafeBufferPointer { m in
            Attention.forward(out: out.data, lse: lse.data, q: q.data, k: k.data, v: v.data, mask: m.baseAddress,
                              batch: b, seqLen: t, heads: nh, kvHeads: nkv, headSize: hs, scratch: scratch, precision: precision)
        }
        return (out, lse)
    }

    /// Gradients of q, k and v for the output gradient `x.g`, from `runForward`'s out and lse
    /// (sequence length `seqLen`, default the class's t).
    func runBackward(_ x: Inputs, out: Tensor, lse: Tensor, mask: [Int32], seqLen: Int? = nil,
                     scratch: AttentionScratch, precision: Precision = .f32) -> (dq: Tensor, dk: Tensor, dv: Tensor) {
        let t = seqLen ?? self.t
        let q = tensor(x.q), k = tensor(x.k), v = tensor(x.v), dout = tensor(x.g)
        let dq = Tensor(shape: [b, t, nh * hs]), dk = Tensor(shape: [b, t, nkv * hs]), dv = Tensor(shape: [b, t, nkv * hs])
        mask.withUnsafeBufferPointer { m in
            Attention.backward(dq: dq.data, dk: dk.data, dv: dv.data, dout: dout.data, q: q.data, k: k.data, v: v.data,
                               out: out.data, lse: lse.data, mask: m.baseAddress, batch: b, seqLen: t,
                               heads: nh, kvHeads: nkv, headSize: hs, scratch: scratch, precision: precision)
        }
        return (dq, dk, dv)
    }

    /// Forward against float64, backward against finite differences, for one-block and multi-block
    /// (blockRows 3) processing, serial and with two workers.
    func testForwardAndBackwardWithGQAPaddingAndCausality() {
        let x = inputs(seed: 51, seqLen: t)
        let (qd, kd, vd, gd) = (doubles(x.q), doubles(x.k), doubles(x.v), doubles(x.g))
        let ref = reference(q: qd, k: kd, v: vd, mask: mask, seqLen: t)
        let fdQ = finiteDifferenceGradient(qd, weights: gd) { self.reference(q: $0, k: kd, v: vd, mask: self.mask, seqLen: self.t).out }
        let fdK = finiteDifferenceGradient(kd, weights: gd) { self.reference(q: qd, k: $0, v: vd, mask: self.mask, seqLen: self.t).out }
        let fdV = finiteDifferenceGradient(vd, weights: gd) { self.reference(q: qd, k: kd, v: $0, mask: self.mask, seqLen: self.t).out }
        var previous: [Float]? = nil
        for (blockRows, threads) in [(64, 1), (3, 1), (3, 2), (64, 2)] {
            let scratch = AttentionScratch(maxKeys: t, threads: threads, blockRows: blockRows)
            let label = "blockRows \(blockRows) threads \(threads)"
            let (out, lse) = runForward(x, mask: mask, seqLen: t, scratch: scratch)
            assertValues(out.array, ref.out, atol: 2e-6, "attention forward \(label)")
            assertValues(lse.array, ref.lse, atol: 2e-6, "attention lse \(label)")

            let (dq, dk, dv) = runBackward(x, out: out, lse: lse, mask: mask, scratch: scratch)
            assertGradient(dq.array, fdQ, atol: 2e-6, "attention dq \(label)")
            assertGradient(dk.array, fdK, atol: 2e-6, "attention dk \(label)")
            assertGradient(dv.array, fdV, atol: 2e-6, "attention dv \(label)")
            // Padded keys get exactly zero gradient (nobody may see them).
            for j in 5..<7 { for c in 0..<(nkv * hs) {
                XCTAssertEqual(dk.array[(t + j) * nkv * hs + c], 0); XCTAssertEqual(dv.array[(t + j) * nkv * hs + c], 0)
            }}
            // Same threads/blocking → same bits; different schedules only differ by rounding.
            if let p = previous { XCTAssertLessThan(maxAbsDiff(dq.array, doubles(p)), 1e-6) }
            previous = dq.array
        }
    }

    /// A query with no visible key (left padding: mask[b, 0] = 0) yields out = 0, lse = -inf and no NaN anywhere.
    func testQueryWithoutVisibleKeysIsZeroNotNaN() {
        let leftPadded: [Int32] = [0, 0, 1, 1, 1, 1, 1,
                                   1, 1, 1, 1, 1, 1, 1]
        let x = inputs(seed: 52, seqLen: t)
        let scratch = AttentionScratch(maxKeys: t, threads: 2, blockRows: 4)
        let (out, lse) = runForward(x, mask: leftPadded, seqLen: t, scratch: scratch)
        XCTAssertTrue(out.array.allSatisfy(\.isFinite))
        XCTAssertEqual(Array(out.array[0..<(2 * nh * hs)]), [Float](repeating: 0, count: 2 * nh * hs))
        XCTAssertEqual(lse.array[0], -.infinity)
        let ref = reference(q: doubles(x.q), k: doubles(x.k), v: doubles(x.v), mask: leftPadded, seqLen: t)
        assertValues(out.array, ref.out, atol: 2e-6, "attention forward, left padding")
        let (dq, dk, dv) = runBackward(x, out: out, lse: lse, mask: leftPadded, scratch: scratch)
        XCTAssertTrue(dq.array.allSatisfy(\.isFinite) && dk.array.allSatisfy(\.isFinite) && dv.array.allSatisfy(\.isFinite))
        let fdQ = finiteDifferenceGradient(doubles(x.q), weights: doubles(x.g)) {
            self.reference(q: $0, k: doubles(x.k), v: doubles(x.v), mask: leftPadded, seqLen: self.t).out
        }
        assertGradient(dq.array, fdQ, atol: 2e-6, "attention dq, left padding")
    }

    /// The KV-cache forward reproduces the full forward: a prefix then the rest, and per-row different lengths.
    func testCachedForwardEqualsFullForward() {
        let x = inputs(seed: 53, seqLen: t)
        let full = runForward(x, mask: mask, seqLen: t, scratch: AttentionScratch(maxKeys: t, threads: 1)).out.array
        let capacity = 9, qs = nh * hs, kvs = nkv * hs
        let kCache = Tensor(shape: [b, capacity, kvs]), vCache = Tensor(shape: [b, capacity, kvs])
        var cacheMask = [Int32](repeating: 0, count: b * capacity)
        for bi in 0..<b { for j in 0..<t { cacheMask[bi * capacity + j] = mask[bi * t + j] } }
        let scratch = AttentionScratch(maxKeys: capacity, threads: 2, blockRows: 2)

        /// Runs queries [start[b], start[b] + count) of every row through the cache; returns out [B, count, NH*HS].
        func step(_ starts: [Int], count: Int) -> [Float] {
            var qRows = [Float](), kRows = [Float](), vRows = [Float]()
            for bi in 0..<b { for tt in 0..<count {
                let row = bi * t + starts[bi] + tt
                qRows += x.q[(row * qs)..<((row + 1) * qs)]
                kRows += x.k[(row * kvs)..<((row + 1) * kvs)]
                vRows += x.v[(row * kvs)..<((row + 1) * kvs)]
            }}
            let kt = tensor(kRows), vt = tensor(vRows), qt = tensor(qRows), out = Tensor(shape: [b, count, qs])
            Attention.writeCache(kCache.data, cacheCapacity: capacity, from: kt.data, startPositions: starts, batch: b, count: count, width: kvs)
            Attention.writeCache(vCache.data, cacheCapacity: capacity, from: vt.data, startPositions: starts, batch: b, count: count, width: kvs)
            cacheMask.withUnsafeBufferPointer { m in
                Attention.forwardCached(out: out.data, q: qt.data, keyCache: kCache.data, valueCache: vCache.data,
                                        cacheCapacity: capacity, keyMask: m.baseAddress, startPositions: starts, batch: b,
                                        queries: count, heads: nh, kvHeads: nkv, headSize: hs, scratch: scratch)
            }
            return out.array
        }
        func fullRows(_ starts: [Int], count: Int) -> [Double] {
            var rows = [Double]()
            for bi in 0..<b { for tt in 0..<count {
                let row = bi * t + starts[bi] + tt
                rows += full[(row * qs)..<((row + 1) * qs)].map(Double.init)
            }}
            return rows
        }
        assertValues(step([0, 0], count: 4), fullRows([0, 0], count: 4), atol: 1e-6, "cached prefix")
        assertValues(step([4, 4], count: 3), fullRows([4, 4], count: 3), atol: 1e-6, "cached continuation")
        // Per-row lengths: row 0 continues at 5, row 1 at 3 (both already cached up to there).
        assertValues(step([5, 3], count: 2), fullRows([5, 3], count: 2), atol: 1e-6, "cached, per-row start positions")
        // One token at a time (generation).
        for p in 0..<t {
            assertValues(step([p, p], count: 1), fullRows([p, p], count: 1), atol: 1e-6, "cached single token at \(p)")
        }
    }

    /// Keys split over spans in different buffers (a prefix held by another cache row, then the
    /// sequence's own) give the same output as one contiguous row.
    func testSpansOverSeveralBuffersEqualOneContiguousRow() {
        let t = 9, qs = nh * hs, kvs = nkv * hs, split = 5, queries = 3, first = t - queries
        var rng = SplitMix64(seed: 71)
        let k = rng.floats(t * kvs, scale: 1.5), v = rng.floats(t * kvs), q = rng.floats(queries * qs, scale: 1.5)
        let qt = tensor(q), contiguousK = tensor(k), contiguousV = tensor(v)
        // Row A holds positions 0..<split; row B holds split..<t at the same absolute slots.
        let rowA = Tensor(shape: [t, kvs]), rowB = Tensor(shape: [t, kvs]), valuesA = Tensor(shape: [t, kvs]), valuesB = Tensor(shape: [t, kvs])
        rowA.data.update(from: contiguousK.data, count: split * kvs)
        valuesA.data.update(from: contiguousV.data, count: split * kvs)
        (rowB.data + split * kvs).update(from: contiguousK.data + split * kvs, count: (t - split) * kvs)
        (valuesB.data + split * kvs).update(from: contiguousV.data + split * kvs, count: (t - split) * kvs)
        let scratch = AttentionScratch(maxKeys: t, threads: 2, blockRows: 2)
        func run(_ spans: [KeySpan]) -> [Float] {
            let out = Tensor(shape: [queries, qs])
            Attention.forwardCached(out: out.data, q: qt.data,
                                    sequences: [CachedQueries(queryRow: 0, count: queries, firstPosition: first, spans: spans, keyMask: nil)],
                                    heads: nh, kvHeads: nkv, headSize: hs, scratch: scratch)
            return out.array
        }
        let whole = run([KeySpan(keys: contiguousK.data, values: contiguousV.data, start: 0, end: t)])
        let split2 = run([KeySpan(keys: rowA.data, values: valuesA.data, start: 0, end: split),
                          KeySpan(keys: rowB.data, values: valuesB.data, start: split, end: t)])
        assertValues(split2, whole.map(Double.init), atol: 1e-6, "two spans vs one row")
        // Against the float64 reference of the full causal attention: the last `queries` rows.
        let full = reference(q: [Double](repeating: 0, count: (t - queries) * qs) + q.map(Double.init), k: k.map(Double.init),
                             v: v.map(Double.init), mask: [Int32](repeating: 1, count: t), seqLen: t, batch: 1)
        assertValues(split2, Array(full.out[(first * qs)...]), atol: 1e-5, "two spans vs reference")
    }
}
