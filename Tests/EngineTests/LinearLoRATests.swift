import XCTest
import Engine

final class LinearLoRATests: XCTestCase {
    let n = 6, inF = 19, outF = 11, r = 3
    let scale: Float = 2

    func testLinearForwardAndBackwardAgainstFloat64() {
        var rng = SplitMix64(seed: 21)
        let x = rng.floats(n * inF), w = rng.floats(outF * inF), g = rng.floats(n * outF)
        let xt = tensor(x), wt = tensor(w), gt = tensor(g)
        let y = Tensor(shape: [n, outF])
        Linear.forward(y: y.data, x: xt.data, weight: wt.data, rows: n, inFeatures: inF, outFeatures: outF)
        let ref = matmulT(doubles(x), doubles(w), rows: n, inner: inF, cols: outF)
        assertValues(y.array, ref, atol: 1e-5, "linear forward")
        // beta = 1 accumulates on top.
        Linear.forward(y: y.data, x: xt.data, weight: wt.data, rows: n, inFeatures: inF, outFeatures: outF, beta: 1)
        assertValues(y.array, ref.map { 2 * $0 }, atol: 2e-5, "linear forward beta 1")

        let pre = rng.floats(n * inF)
        let dx = tensor(pre)
        Linear.backwardInput(dx: dx.data, dy: gt.data, weight: wt.data, rows: n, inFeatures: inF, outFeatures: outF)
        let wd = doubles(w), xd = doubles(x)
        let fdX = finiteDifferenceGradient(xd, weights: doubles(g)) { matmulT($0, wd, rows: self.n, inner: self.inF, cols: self.outF) }
        assertGradient(zip(dx.array, pre).map { $0 - $1 }, fdX, "linear dx (+=)")
        let dw = Tensor(shape: [outF, inF])
        Linear.backwardWeight(dweight: dw.data, dy: gt.data, x: xt.data, rows: n, inFeatures: inF, outFeatures: outF)
        let fdW = finiteDifferenceGradient(wd, weights: doubles(g)) { matmulT(xd, $0, rows: self.n, inner: self.inF, cols: self.outF) }
        assertGradient(dw.array, fdW, "linear dW")
    }

    /// y = scale * ((x * mask) A^T) B^T in float64.
    func loraReference(x: [Double], a: [Double], b: [Double], mask: [Double]?) -> [Double] {
        let xt = mask.map { m in zip(x, m).map { $0 * $1 } } ?? x
        let xa = matmulT(xt, a, rows: n, inner: inF, cols: r)
        return matmulT(xa, b, rows: n, inner: r, cols: outF).map { Double(scale) * $0 }
    }

    func checkLoRA(dropout: Bool, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let x = rng.floats(n * inF), a = rng.floats(r * inF), b = rng.floats(outF * r), g = rng.floats(n * outF)
        let keep: Float = 1 / (1 - 0.25)
        let mask: [Float]? = dropout ? (0..<(n * inF)).map { _ in rng.nextUniform() < 0.25 ? 0 : keep } : nil
        let xt = tensor(x), at = tensor(a), bt = tensor(b), gt = tensor(g)
        let maskT = mask.map { tensor($0) }
        let dropped = Tensor(shape: [n, inF])
        let base = rng.floats(n * outF)
        let y = tensor(base), xa = Tensor(shape: [n, r])
        LoRA.forward(y: y.data, xa: xa.data, x: xt.data, a: at.data, b: bt.data, rows: n, inFeatures: inF,
                     outFeatures: outF, rank: r, scale: scale, dropoutMask: maskT.map { UnsafePointer($0.data) },
                     droppedInput: dropped.data)
        let md = mask.map(doubles)
        let label = dropout ? "lora+dropout" : "lora"
        let ref = loraReference(x: doubles(x), a: doubles(a), b: doubles(b), mask: md)
        assertValues(zip(y.array, base).map { $0 - $1 }, ref, atol: 1e-5, "\(label) forward (+=)")

        let preX = rng.floats(n * inF), preA = rng.floats(r * inF), preB = rng.floats(outF * r)
        let dx = tensor(preX), da = tensor(preA), db = tensor(preB), dxa = Tensor(shape: [n, r])
        LoRA.backward(dx: dx.data, da: da.data, db: db.data, dxa: dxa.data, dy: gt.data, x: xt.data, xa: xa.data,
                      a: at.data, b: bt.data, rows: n, inFeatures: inF, outFeatures: outF, rank: r, scale: scale,
                      dropoutMask: maskT.map { UnsafePointer($0.data) }, droppedInput: dropped.data)
        let xd = doubles(x), ad = doubles(a), bd = doubles(b), gd = doubles(g)
        assertGradient(zip(dx.array, preX).map { $0 - $1 },
                       finiteDifferenceGradient(xd, weights: gd) { self.loraReference(x: $0, a: ad, b: bd, mask: md) }, "\(label) dx")
        assertGradient(zip(da.array, preA).map { $0 - $1 },
                       finiteDifferenceGradient(ad, weights: gd) { self.loraReference(x: xd, a: $0, b: bd, mask: md) }, "\(label) dA")
        assertGradient(zip(db.array, preB).map { $0 - $1 },
                       finiteDifferenceGradient(bd, weights: gd) { self.loraReference(x: xd, a: ad, b: $0, mask: md) }, "\(label) dB")
    }

    func testLoRAForwardAndBackwardAgainstFloat64() { checkLoRA(dropout: false, seed: 31) }
    func testLoRAWithDropoutMaskAgainstFloat64() { checkLoRA(dropout: true, seed: 32) }

    func testLoRANilDxStillGivesWeightGradients() {
        var rng = SplitMix64(seed: 33)
        let x = tensor(rng.floats(n * inF)), a = tensor(rng.floats(r * inF)), b = tensor(rng.floats(outF * r))
        let dy = tensor(rng.floats(n * outF)), xa = Tensor(shape: [n, r]), y = Tensor(shape: [n, outF])
        LoRA.forward(y: y.data, xa: xa.data, x: x.data, a: a.data, b: b.data, rows: n, inFeatures: inF, outFeatures: outF, rank: r, scale: scale)
        let da1 = Tensor(shape: [r, inF]), db1 = Tensor(shape: [outF, r]), da2 = Tensor(shape: [r, inF]), db2 = Tensor(shape: [outF, r])
        let dx = Tensor(shape: [n, inF]), dxa = Tensor(shape: [n, r])
        LoRA.backward(dx: dx.data, da: da1.data, db: db1.data, dxa: dxa.data, dy: dy.data, x: x.data, xa: xa.data, a: a.data, b: b.data,
                      rows: n, inFeatures: inF, outFeatures: outF, rank: r, scale: scale)
        LoRA.backward(dx: nil, da: da2.data, db: db2.data, dxa: dxa.data, dy: dy.data, x: x.data, xa: xa.data, a: a.data, b: b.data,
                      rows: n, inFeatures: inF, outFeatures: outF, rank: r, scale: scale)
        XCTAssertEqual(da1.array, da2.array)
        XCTAssertEqual(db1.array, db2.array)
    }
}
