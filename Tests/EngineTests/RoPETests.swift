import XCTest
import Engine

final class RoPETests: XCTestCase {
    let b = 2, t = 5, heads = 3, hs = 36   // hs/2 = 18: one SIMD16 block plus a tail
    let base = 10_000.0

    /// float64 RoPE: `pairs(d)` lists the rotated channel pairs within a head.
    func reference(_ x: [Double], layout: RopeLayout, rotaryDims d: Int, startPosition: Int = 0) -> [Double] {
        var out = x
        let width = heads * hs
        for row in 0..<(b * t) {
            let pos = Double(startPosition + row % t)
            for h in 0..<heads {
                for i in 0..<(d / 2) {
                    let angle = pos * Foundation.pow(base, -Double(2 * i) / Double(d))
                    let (p0, p1) = layout == .rotateHalf ? (i, i + d / 2) : (2 * i, 2 * i + 1)
                    let o = row * width + h * hs
                    let a = x[o + p0], c = x[o + p1]
                    out[o + p0] = a * Foundation.cos(angle) - c * Foundation.sin(angle)
                    out[o + p1] = c * Foundation.cos(angle) + a * Foundation.sin(angle)
                }
            }
        }
        return out
    }

    func testBothLayoutsMatchFloat64IncludingPartialRotaryAndOffset() {
        var rng = SplitMix64(seed: 41)
        let x = rng.floats(b * t * heads * hs)
        for layout in [RopeLayout.rotateHalf, .interleaved] {
            for (d, start) in [(hs, 0), (20, 3)] {
                let table = RopeTable(maxT: 16, rotaryDims: d, base: base)
                let xt = tensor(x)
                RoPE.forward(xt.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: layout, startPosition: start)
                assertValues(xt.array, reference(doubles(x), layout: layout, rotaryDims: d, startPosition: start), atol: 1e-6,
                             "rope \(layout) d=\(d) start=\(start)")
            }
        }
    }

    /// GGUF stores q/k rows permuted within each head so that adjacent pairs rotate: channel (half a, index i)
    /// of the HF layout sits at 2i + a. Rotating HF with rotate-half and GGUF with interleaved must agree.
    func testLayoutsAgreeAfterGGUFPermutation() {
        var rng = SplitMix64(seed: 42)
        let hf = rng.floats(b * t * heads * hs)
        let width = heads * hs, half = hs / 2
        func permute(_ x: [Float]) -> [Float] {
            var y = x
            for row in 0..<(b * t) { for h in 0..<heads { for a in 0..<2 { for i in 0..<half {
                y[row * width + h * hs + 2 * i + a] = x[row * width + h * hs + a * half + i]
            }}}}
            return y
        }
        let table = RopeTable(maxT: t, rotaryDims: hs, base: base)
        let hfT = tensor(hf), ggT = tensor(permute(hf))
        RoPE.forward(hfT.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: .rotateHalf)
        RoPE.forward(ggT.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: .interleaved)
        XCTAssertEqual(permute(hfT.array), ggT.array, "GGUF-permuted interleaved RoPE must equal permuted rotate-half RoPE")
        // And the wrong pairing does not agree (the test can fail).
        let wrong = tensor(permute(hf))
        RoPE.forward(wrong.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: .rotateHalf)
        XCTAssertGreaterThan(maxAbsDiff(wrong.array, doubles(ggT.array)), 1e-2)
    }

    /// Backward is the adjoint (and, rotations being orthogonal, the inverse): <R x, g> = <x, R^T g>, R^T R x = x.
    func testBackwardIsAdjointAndInverse() {
        var rng = SplitMix64(seed: 43)
        let x = rng.floats(b * t * heads * hs), g = rng.floats(b * t * heads * hs)
        for layout in [RopeLayout.rotateHalf, .interleaved] {
            let table = RopeTable(maxT: 8, rotaryDims: 20, base: base)
            let xt = tensor(x), gt = tensor(g)
            RoPE.forward(xt.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: layout, startPosition: 2)
            RoPE.backward(gt.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: layout, startPosition: 2)
            // The gradient of sum(RoPE(x) * g) w.r.t. x, by finite differences of the float64 reference.
            let fd = finiteDifferenceGradient(doubles(x), weights: doubles(g)) {
                self.reference($0, layout: layout, rotaryDims: 20, startPosition: 2)
            }
            assertGradient(gt.array, fd, "rope backward \(layout)")
            RoPE.backward(xt.data, rows: b * t, seqLen: t, heads: heads, headSize: hs, table: table, layout: layout, startPosition: 2)
            assertValues(xt.array, doubles(x), atol: 1e-6, "rope backward(forward(x)) == x, \(layout)")
        }
    }
}
