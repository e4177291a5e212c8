import XCTest
import Engine

final class RMSNormTests: XCTestCase {
    let n = 5, c = 37, eps: Float = 1e-5   // c not a multiple of 16: exercises the SIMD tails

    func reference(_ x: [Double], _ w: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: n * c)
        for i in 0..<n {
            var ss = 0.0
            for j in 0..<c { ss += x[i * c + j] * x[i * c + j] }
            let r = 1 / (ss / Double(c) + Double(eps)).squareRoot()
            for j in 0..<c { out[i * c + j] = x[i * c + j] * r * w[j] }
        }
        return out
    }

    func testForwardMatchesFloat64AndBackwardMatchesFiniteDifferences() {
        var rng = SplitMix64(seed: 11)
        let x = rng.floats(n * c, scale: 2), w = rng.floats(c).map { 1 + 0.3 * $0 }, g = rng.floats(n * c)
        let out = Tensor(shape: [n, c]), rstd = Tensor(shape: [n])
        let xt = tensor(x), wt = tensor(w)
        RMSNorm.forward(out: out.data, rstd: rstd.data, inp: xt.data, weight: wt.data, rows: n, channels: c, eps: eps)
        assertValues(out.array, reference(doubles(x), doubles(w)), atol: 2e-6, "rmsnorm forward")

        // Pre-filled gradients check the documented accumulation (+=).
        let pre = rng.floats(n * c), preW = rng.floats(c)
        let dinp = tensor(pre), dw = tensor(preW), gt = tensor(g)
        RMSNorm.backward(dinp: dinp.data, dweight: dw.data, dout: gt.data, inp: xt.data, weight: wt.data,
                         rstd: rstd.data, rows: n, channels: c)
        let wd = doubles(w), xd = doubles(x)
        let fdX = finiteDifferenceGradient(xd, weights: doubles(g)) { self.reference($0, wd) }
        let fdW = finiteDifferenceGradient(wd, weights: doubles(g)) { self.reference(xd, $0) }
        assertGradient(zip(dinp.array, pre).map { $0 - $1 }, fdX, "rmsnorm dinp")
        assertGradient(zip(dw.array, preW).map { $0 - $1 }, fdW, "rmsnorm dweight")

        // nil dweight (frozen norm) gives the same dinp.
        let dinp2 = tensor(pre)
        RMSNorm.backward(dinp: dinp2.data, dweight: nil, dout: gt.data, inp: xt.data, weight: wt.data,
                         rstd: rstd.data, rows: n, channels: c)
        XCTAssertEqual(dinp2.array, dinp.array)
    }
}
