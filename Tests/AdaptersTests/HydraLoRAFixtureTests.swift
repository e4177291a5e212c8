import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// HydraLoRALayer against fixtures/hydralora/hydralora.safetensors (float64 reference) and against
/// central finite differences.
final class HydraLoRAFixtureTests: XCTestCase {
    func testLayerMatchesFixture() throws {
        let f = try Fixtures.safetensors("hydralora/hydralora.safetensors")
        let xShape = try f.shape("x"), wShape = try f.shape("W"), aShape = try f.shape("A")
        let n = xShape.dropLast().reduce(1, *), inp = xShape.last!, out = wShape[0], r = aShape[0]
        let h = f.names.filter { $0.hasPrefix("B.") }.count
        XCTAssertGreaterThan(h, 0)
        let s = HydraLoRALayer.Shapes(rows: n, inFeatures: inp, outFeatures: out, rank: r, heads: h)
        let scale: Float = 2  // fixture README: y = x Wᵀ + 2 · Σ p_i B_i A x
        let x = try f.tensor("x"), w = try f.tensor("W"), a = try f.tensor("A"), router = try f.tensor("W_r")
        let heads = try (0..<h).map { try f.tensor("B.\($0)") }
        let dy = try f.tensor("grad_output")
        // The kernels take raw pointers: keep the tensors alive to the end (release builds free early).
        defer { withExtendedLifetime([x, w, a, router, dy] + heads) {} }
        let y = Tensor(shape: [n, out]), probs = Tensor(shape: [n, h]), xa = Tensor(shape: [n, r])
        let scratch = HydraLoRALayer.Scratch(rows: n, rank: r, heads: h)
        defer { withExtendedLifetime([y, probs, xa]) {} }
        BLAS.sgemm(transA: false, transB: true, m: n, n: out, k: inp, a: x.data, lda: inp, b: w.data, ldb: inp, beta: 0, c: y.data, ldc: out)
        HydraLoRALayer.forward(s, x: x.data, ldx: inp, a: a.data, heads: heads.map { UnsafePointer($0.data) }, router: router.data,
                               scale: scale, headMasks: nil, y: y.data, ldy: out, probs: probs.data, xa: xa.data, scratch: scratch)
        let fixture = FixtureComparison(f, atol: 1e-5)
        try fixture.check(y.array, "y")
        try fixture.check(probs.array, "router_probs")
        // dx = dy W (frozen linear) + the adapter's part.
        let dx = Tensor(shape: [n, inp]), dA = Tensor(shape: [r, inp]), dRouter = Tensor(shape: [h, inp])
        let dHeads = (0..<h).map { _ in Tensor(shape: [out, r]) }
        defer { withExtendedLifetime([dx, dA, dRouter] + dHeads) {} }
        BLAS.sgemm(m: n, n: inp, k: out, a: dy.data, lda: out, b: w.data, ldb: inp, beta: 0, c: dx.data, ldc: inp)
        HydraLoRALayer.backward(s, x: x.data, ldx: inp, dy: dy.data, ldy: out, a: a.data, heads: heads.map { UnsafePointer($0.data) },
                                router: router.data, scale: scale, headMasks: nil, probs: probs.data, xa: xa.data,
                                dx: dx.data, lddx: inp, dA: dA.data, dHeads: dHeads.map(\.data), dRouter: dRouter.data, scratch: scratch)
        try fixture.check(dx.array, "grad.x")
        try fixture.check(dA.array, "grad.A")
        for i in 0..<h { try fixture.check(dHeads[i].array, "grad.B.\(i)") }
        try fixture.check(dRouter.array, "grad.W_r")
        print("hydralora fixture max |diff|:", fixture.summary)
    }

    func testLayerBackwardMatchesFiniteDifferences() {
        checkHydraLayerFiniteDifferences(dropout: nil)
    }
}

/// Central finite differences of L = Σ y·g through HydraLoRALayer (optionally with fixed head masks)
/// against the analytic backward, for x, A, every B_i and W_r.
func checkHydraLayerFiniteDifferences(dropout: Float?, file: StaticString = #filePath, line: UInt = #line) {
    let n = 7, inp = 6, out = 5, r = 3, h = 3
    let s = HydraLoRALayer.Shapes(rows: n, inFeatures: inp, outFeatures: out, rank: r, heads: h)
    var rng = SplitMix64(seed: 11)
    func random(_ shape: [Int], _ std: Double) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t.data[i] = Float(rng.nextNormal() * std) }
        return t
    }
    let x = random([n, inp], 1), a = random([r, inp], 0.5), router = random([h, inp], 0.8), g = random([n, out], 1)
    let heads = (0..<h).map { _ in random([out, r], 0.5) }
    var masks: Tensor?
    if let p = dropout {
        let m = Tensor(shape: [h, n, r])
        for i in 0..<m.count { m.data[i] = rng.nextUniform() < Double(p) ? 0 : 1 / (1 - p) }
        masks = m
    }
    let scale: Float = 1.5
    let scratch = HydraLoRALayer.Scratch(rows: n, rank: r, heads: h)
    let probs = Tensor(shape: [n, h]), xa = Tensor(shape: [n, r])
    defer { withExtendedLifetime([x, a, router, g, probs, xa] + heads + (masks.map { [$0] } ?? [])) {} }
    func loss() -> Double {
        let y = Tensor(shape: [n, out])
        HydraLoRALayer.forward(s, x: x.data, ldx: inp, a: a.data, heads: heads.map { UnsafePointer($0.data) }, router: router.data,
                               scale: scale, headMasks: masks.map { UnsafePointer($0.data) }, y: y.data, ldy: out,
                               probs: probs.data, xa: xa.data, scratch: scratch)
        return (0..<y.count).reduce(0.0) { $0 + Double(y.data[$1]) * Double(g.data[$1]) }
    }
    _ = loss()
    let dx = Tensor(shape: [n, inp]), dA = Tensor(shape: [r, inp]), dRouter = Tensor(shape: [h, inp])
    let dHeads = (0..<h).map { _ in Tensor(shape: [out, r]) }
    HydraLoRALayer.backward(s, x: x.data, ldx: inp, dy: g.data, ldy: out, a: a.data, heads: heads.map { UnsafePointer($0.data) },
                            router: router.data, scale: scale, headMasks: masks.map { UnsafePointer($0.data) },
                            probs: probs.data, xa: xa.data, dx: dx.data, lddx: inp, dA: dA.data, dHeads: dHeads.map(\.data),
                            dRouter: dRouter.data, scratch: scratch)
    var pairs: [(String, Tensor, Tensor)] = [("x", x, dx), ("A", a, dA), ("W_r", router, dRouter)]
    for i in 0..<h { pairs.append(("B.\(i)", heads[i], dHeads[i])) }
    checkFiniteDifferences(pairs, loss: loss, file: file, line: line)
}

/// Every element of each (name, value, gradient) triple against (L(v+ε) − L(v−ε)) / 2ε, ε = 1e-2.
func checkFiniteDifferences(_ pairs: [(String, Tensor, Tensor)], loss: () -> Double,
                            file: StaticString = #filePath, line: UInt = #line) {
    for (name, value, grad) in pairs {
        for i in 0..<value.count {
            let keep = value.data[i], eps: Float = 1e-2
            value.data[i] = keep + eps; let lp = loss()
            value.data[i] = keep - eps; let lm = loss()
            value.data[i] = keep
            let fd = (lp - lm) / Double(2 * eps)
            XCTAssertEqual(Double(grad.data[i]), fd, accuracy: 2e-3 + 1e-2 * abs(fd), "\(name)[\(i)]", file: file, line: line)
        }
    }
}
