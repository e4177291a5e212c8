import XCTest
import Engine

final class FastExpTests: XCTestCase {
    func testVectorisedExpIsWithinFourUlpAndZeroBelowRange() {
        var rng = SplitMix64(seed: 71)
        var x = (0..<4099).map { _ in Float(rng.nextUniform() * 176.3 - 88) }
        x += [0, -0.0, 1, -1, 88.37, -87.3, -87.4, -100, -.infinity, 1e-8, -1e-8]
        var out = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            FastMath.exp(op.baseAddress!, xp.baseAddress!, count: x.count)
        }}
        var worstRel = 0.0
        for (xi, yi) in zip(x, out) {
            let ref = Foundation.exp(Double(xi))
            if xi < -87.33654 { XCTAssertEqual(yi, 0, "exp(\(xi)) should flush to 0"); continue }
            let rel = abs(Double(yi) - ref) / ref
            worstRel = max(worstRel, rel)
        }
        var big: Float = 1000
        withUnsafePointer(to: 1000 as Float) { xp in FastMath.exp(&big, xp, count: 1) }
        XCTAssertTrue(big.isFinite && big > 2e38, "large inputs saturate finitely")
        XCTAssertLessThan(worstRel, 4 * 1.2e-7, "max relative error \(worstRel)")
        if ProcessInfo.processInfo.environment["METALORA_TEST_VERBOSE"] != nil { print("[err] fastExp max rel: \(worstRel)") }
    }
}
