import XCTest
import Engine
import TestSupport

/// Attention's products in bf16 (`precision: .bf16`) against the float64 attention of the same
/// bf16-rounded operands (scale·Q, K, V): what is left is the rounding of the probabilities to bf16
/// (relative 2⁻⁹ per weight, so at most 2⁻⁹·max|V| per output) and float32 accumulation. The lse
/// is computed from the bf16 scores before that rounding, so it matches to float32 accuracy.
extension AttentionTests {
    /// Long enough that every (sequence, head) has ≥ 16 query rows (shorter calls stay float32).
    var long: Int { 40 }
    var longMask: [Int32] {
        // Row 0 left-padded by 2 (its first queries see no key), row 1 right-padded by 9.
        (0..<long).map { $0 < 2 ? 0 : 1 } + (0..<long).map { $0 < long - 9 ? 1 : 0 }
    }

    /// Inputs as the bf16 products see them: scale·Q rounded (divided back by the scale in float64,
    /// which the reference multiplies again), K and V rounded.
    func roundedReference(_ x: Inputs, mask: [Int32], seqLen t: Int) -> (out: [Double], lse: [Double]) {
        let scale = 1 / Float(hs).squareRoot()
        return reference(q: x.q.map { Double(bf16Rounded($0 * scale)) / Double(scale) }, k: x.k.map { Double(bf16Rounded($0)) },
                         v: x.v.map { Double(bf16Rounded($0)) }, mask: mask, seqLen: t)
    }

    func testBF16ForwardMatchesRoundedFloat64() throws {
        try requireBF16()
        let x = inputs(seed: 61, seqLen: long), mask = longMask
        let ref = roundedReference(x, mask: mask, seqLen: long)
        let vMax = x.v.map { Double(abs($0)) }.max()!
        let exact = reference(q: doubles(x.q), k: doubles(x.k), v: doubles(x.v), mask: mask, seqLen: long)
        for (blockRows, threads) in [(64, 1), (16, 2), (7, 2)] {
            let scratch = AttentionScratch(maxKeys: long, threads: threads, blockRows: blockRows)
            let (out, lse) = runForward(x, mask: mask, seqLen: long, scratch: scratch, precision: .bf16)
            let label = "bf16 attention, blockRows \(blockRows), threads \(threads)"
            XCTAssertTrue(out.array.allSatisfy(\.isFinite), label)
            assertValues(out.array, ref.out, atol: 2 * vMax / 512, label)
            assertValues(lse.array, ref.lse, atol: 1e-5, "\(label) lse")
            // It is the bf16 path: the result differs from float32's by more than float32 rounding.
            XCTAssertGreaterThan(maxAbsDiff(out.array, exact.out), 1e-5, "\(label): no bf16 rounding visible")
        }
    }

    /// Grouped heads over a shared prefix and the sequence's own keys (prefix reuse in scoring).
    func testBF16CachedForwardOverSpansMatchesRoundedFloat64() throws {
        try requireBF16()
        let t = long, qs = nh * hs, kvs = nkv * hs, split = 17, queries = 20, first = t - queries
        var rng = SplitMix64(seed: 62)
        let k = rng.floats(t * kvs, scale: 1.5), v = rng.floats(t * kvs), q = rng.floats(queries * qs, scale: 1.5)
        let rowA = Tensor(shape: [t, kvs]), rowB = Tensor(shape: [t, kvs]), valuesA = Tensor(shape: [t, kvs]), valuesB = Tensor(shape: [t, kvs])
        let kt = tensor(k), vt = tensor(v), qt = tensor(q)
        rowA.data.update(from: kt.data, count: split * kvs); valuesA.data.update(from: vt.data, count: split * kvs)
        (rowB.data + split * kvs).update(from: kt.data + split * kvs, count: (t - split) * kvs)
        (valuesB.data + split * kvs).update(from: vt.data + split * kvs, count: (t - split) * kvs)
        let out = Tensor(shape: [queries, qs])
        defer { withExtendedLifetime((rowA, rowB, valuesA, valuesB, qt)) {} }
        Attention.forwardCached(out: out.data, q: qt.data,
                                sequences: [CachedQueries(queryRow: 0, count: queries, firstPosition: first,
                                                          spans: [KeySpan(keys: rowA.data, values: valuesA.data, start: 0, end: split),
                                                                  KeySpan(keys: rowB.data, values: valuesB.data, start: split, end: t)],
                                                          keyMask: nil)],
                                heads: nh, kvHeads: nkv, headSize: hs, scratch: AttentionScratch(maxKeys: t, threads: 2, blockRows: 4),
                                precision: .bf16)
        let scale = 1 / Float(hs).squareRoot()
        let fullQ = [Double](repeating: 0, count: first * qs) + q.map { Double(bf16Rounded($0 * scale)) / Double(scale) }
        let ref = reference(q: fullQ, k: k.map { Double(bf16Rounded($0)) }, v: v.map { Double(bf16Rounded($0)) },
                            mask: [Int32](repeating: 1, count: t), seqLen: t, batch: 1)
        assertValues(out.array, Array(ref.out[(first * qs)...]), atol: 2 * Double(v.map { abs($0) }.max()!) / 512, "bf16 cached attention over two spans")
    }

    /// Sequences of one call sharing a prefix buffer (an evaluation window's few-shot context):
    /// the prefix's bf16 keys are rounded once per worker and kv head and reused, which changes no
    /// bit against each sequence run alone. Their own keys sit at the same positions in different
    /// buffers, and the second sequence ends inside the prefix (its padding overwrites prefix rows).
    func testBF16SharedPrefixReuseEqualsEachSequenceAlone() throws {
        try requireBF16()
        let qs = nh * hs, kvs = nkv * hs, prefix = 17, t = long
        var rng = SplitMix64(seed: 64)
        func buffer(_ scale: Double) -> Tensor { tensor(rng.floats(t * kvs, scale: scale)) }
        let prefixKeys = buffer(1.5), prefixValues = buffer(1), ownKeys = [buffer(1.5), buffer(1.5)], ownValues = [buffer(1), buffer(1)]
        // (first position, queries, own buffer or nil): 20..<40 and 17..<40 over their own keys, 0..<9
        // inside the prefix (its keys end before the prefix span does).
        let shapes: [(first: Int, count: Int, own: Int?)] = [(20, 20, 0), (0, 9, nil), (17, 23, 1)]
        let rows = shapes.reduce(0) { $0 + $1.count }
        let q = tensor(rng.floats(rows * qs, scale: 1.5))
        var sequences: [CachedQueries] = [], row = 0
        for shape in shapes {
            var spans = [KeySpan(keys: prefixKeys.data, values: prefixValues.data, start: 0, end: prefix)]
            if let own = shape.own { spans.append(KeySpan(keys: ownKeys[own].data, values: ownValues[own].data, start: prefix, end: t)) }
            sequences.append(CachedQueries(queryRow: row, count: shape.count, firstPosition: shape.first, spans: spans, keyMask: nil))
            row += shape.count
        }
        // The spans hold raw pointers: keep their tensors alive to the end.
        defer { withExtendedLifetime((prefixKeys, prefixValues, ownKeys, ownValues)) {} }
        // A call this small runs on one worker, so the sequences meet its buffers in order.
        let together = Tensor(shape: [rows, qs])
        Attention.forwardCached(out: together.data, q: q.data, sequences: sequences, heads: nh, kvHeads: nkv, headSize: hs,
                                scratch: AttentionScratch(maxKeys: t, threads: 1, blockRows: 8), precision: .bf16)
        for sequence in sequences {
            let alone = Tensor(shape: [rows, qs])
            Attention.forwardCached(out: alone.data, q: q.data, sequences: [sequence], heads: nh, kvHeads: nkv, headSize: hs,
                                    scratch: AttentionScratch(maxKeys: t, threads: 1, blockRows: 8), precision: .bf16)
            let range = (sequence.queryRow * qs)..<((sequence.queryRow + sequence.count) * qs)
            XCTAssertEqual(Array(together.array[range]), Array(alone.array[range]),
                           "sequence at row \(sequence.queryRow): sharing the call changed its output")
        }
    }

    /// The backward's five products in bf16 against the float32 backward (itself checked against
    /// finite differences): within 2% of each gradient's largest magnitude, padded keys exactly 0.
    func testBF16BackwardNearFloat32() throws {
        try requireBF16()
        let x = inputs(seed: 63, seqLen: long), mask = longMask
        func gradients(_ precision: Precision, blockRows: Int, threads: Int) -> [[Float]] {
            let scratch = AttentionScratch(maxKeys: long, threads: threads, blockRows: blockRows)
            let (out, lse) = runForward(x, mask: mask, seqLen: long, scratch: scratch, precision: precision)
            let (dq, dk, dv) = runBackward(x, out: out, lse: lse, mask: mask, seqLen: long, scratch: scratch, precision: precision)
            return [dq.array, dk.array, dv.array]
        }
        let reference = gradients(.f32, blockRows: 64, threads: 1)
        for (blockRows, threads) in [(64, 1), (16, 2), (7, 2)] {
            let bf16 = gradients(.bf16, blockRows: blockRows, threads: threads)
            for (name, (got, want)) in zip(["dq", "dk", "dv"], zip(bf16, reference)) {
                let label = "bf16 attention \(name), blockRows \(blockRows), threads \(threads)"
                let largest = Double(want.map { abs($0) }.max()!)
                XCTAssertTrue(got.allSatisfy(\.isFinite), label)
                assertValues(got, doubles(want), atol: 0.02 * largest, label)
                XCTAssertGreaterThan(maxAbsDiff(got, doubles(want)), 1e-7 * largest, "\(label): no bf16 rounding visible")
            }
            // Row 1's right padding (its last 9 positions) is seen by nobody: zero key and value gradients.
            let kvs = nkv * hs
            for j in (long - 9)..<long { for c in 0..<kvs {
                XCTAssertEqual(bf16[1][(long + j) * kvs + c], 0); XCTAssertEqual(bf16[2][(long + j) * kvs + c], 0)
            }}
        }
    }
}

extension AttentionTests {
    /// A bf16 call with fewer than 16 stacked query rows (here 7 positions × 2 heads per kv head)
    /// runs the float32 attention: the same bits as precision f32, never a trap.
    func testBF16ShortSequencesRunFloat32() throws {
        try requireBF16()
        let x = inputs(seed: 65, seqLen: t), mask = [Int32](repeating: 1, count: b * t)
        XCTAssertLessThan((nh / nkv) * t, BF16DenseProduct.rowAlignment, "the shape must stay below the bf16 threshold")
        let f32 = runForward(x, mask: mask, seqLen: t, scratch: AttentionScratch(maxKeys: t, threads: 2), precision: .f32)
        let bf16 = runForward(x, mask: mask, seqLen: t, scratch: AttentionScratch(maxKeys: t, threads: 2), precision: .bf16)
        XCTAssertEqual(bf16.out.array.map(\.bitPattern), f32.out.array.map(\.bitPattern))
        XCTAssertEqual(bf16.lse.array.map(\.bitPattern), f32.lse.array.map(\.bitPattern))
    }
}
