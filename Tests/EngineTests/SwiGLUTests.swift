import XCTest
import Engine

final class SwiGLUTests: XCTestCase {
    func reference(_ gate: [Double], _ up: [Double]) -> [Double] {
        zip(gate, up).map { g, u in g / (1 + Foundation.exp(-g)) * u }
    }

    func testForwardAndBackwardAgainstFloat64() {
        let count = 533   // two 256-element tiles plus a partial one with a non-SIMD tail
        var rng = SplitMix64(seed: 5)
        let gate = rng.floats(count, scale: 4), up = rng.floats(count, scale: 2), g = rng.floats(count)
        let gt = tensor(gate), ut = tensor(up), out = Tensor(shape: [count]), dout = tensor(g)
        SwiGLU.forward(out: out.data, gate: gt.data, up: ut.data, count: count)
        assertValues(out.array, reference(doubles(gate), doubles(up)), atol: 1e-6, "swiglu forward")

        let dgate = Tensor(shape: [count]), dup = Tensor(shape: [count])
        SwiGLU.backward(dgate: dgate.data, dup: dup.data, dout: dout.data, gate: gt.data, up: ut.data, count: count)
        let gd = doubles(gate), ud = doubles(up)
        assertGradient(dgate.array, finiteDifferenceGradient(gd, weights: doubles(g)) { self.reference($0, ud) }, "swiglu dgate")
        assertGradient(dup.array, finiteDifferenceGradient(ud, weights: doubles(g)) { self.reference(gd, $0) }, "swiglu dup")

        // In-place form (dgate aliases gate, dup aliases up) gives identical results.
        SwiGLU.backward(dgate: gt.data, dup: ut.data, dout: dout.data, gate: gt.data, up: ut.data, count: count)
        XCTAssertEqual(gt.array, dgate.array)
        XCTAssertEqual(ut.array, dup.array)
        // dgate may also overwrite dout in place.
        let gate2 = tensor(gate), up2 = tensor(up), dout2 = tensor(g), dup2 = Tensor(shape: [count])
        SwiGLU.backward(dgate: dout2.data, dup: dup2.data, dout: dout2.data, gate: gate2.data, up: up2.data, count: count)
        XCTAssertEqual(dout2.array, dgate.array)
        XCTAssertEqual(dup2.array, dup.array)
    }
}
