import XCTest
import Foundation
import Engine

/// The row kernels' builds (baseline x86-64, AVX2+FMA, AVX-512) must give bit-identical results,
/// and each must be right: max exact, exp sums within float rounding of a float64 reference.
final class RowKernelDispatchTests: XCTestCase {
    /// Rows of awkward lengths (not multiples of 8 or 16, longer than a 256-element chunk).
    let lengths = [1, 7, 15, 16, 17, 255, 256, 257, 1000, 4099]

    func row(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUniform() * 40 - 30) }
    }

    func testEveryBuildAgreesBitForBit() throws {
        let builds = RowKernelDispatch.runnable
        guard builds.count > 1 else { throw XCTSkip("this CPU runs only the baseline build (no AVX2+FMA)") }
        if !CPUFeatures.current.runsSkylakeAVX512Code { print("note: this CPU cannot run the AVX-512 build; compared baseline and AVX2 only") }
        let base = builds[0]
        for wide in builds.dropFirst() { for (i, n) in lengths.enumerated() {
            let x = row(n, seed: UInt64(i + 1)), up = row(n, seed: UInt64(i + 100))
            func apply(_ k: RowKernelDispatch) -> (max: Float, sum: Double, exp: [Float], scaled: [Float], swiglu: [Float], neg: [Float]) {
                var p = x, e = [Float](repeating: 0, count: n), out = [Float](repeating: 0, count: n)
                var neg = [Float](repeating: 0, count: n), scaled = x
                let m = x.withUnsafeBufferPointer { k.max($0.baseAddress!, n) }
                let sum = p.withUnsafeMutableBufferPointer { k.expShiftedSum($0.baseAddress!, n, m) }
                scaled.withUnsafeMutableBufferPointer { k.scale($0.baseAddress!, n, 0.37) }
                x.withUnsafeBufferPointer { xp in up.withUnsafeBufferPointer { upp in
                    out.withUnsafeMutableBufferPointer { o in e.withUnsafeMutableBufferPointer { ep in
                        k.swiGLU(o.baseAddress!, xp.baseAddress!, upp.baseAddress!, n, ep.baseAddress!)
                    }}
                    neg.withUnsafeMutableBufferPointer { k.expNegated($0.baseAddress!, xp.baseAddress!, n) }
                }}
                return (m, sum, p, scaled, out, neg)
            }
            var bf16A = [UInt16](repeating: 0, count: n), bf16B = bf16A
            x.withUnsafeBufferPointer { xp in
                bf16A.withUnsafeMutableBufferPointer { base.roundToBF16($0.baseAddress!, xp.baseAddress!, n) }
                bf16B.withUnsafeMutableBufferPointer { wide.roundToBF16($0.baseAddress!, xp.baseAddress!, n) }
            }
            let a = apply(base), b = apply(wide), label = "\(wide.name) against \(base.name), n=\(n)"
            XCTAssertEqual(a.max.bitPattern, b.max.bitPattern, "max, \(label)")
            XCTAssertEqual(a.sum.bitPattern, b.sum.bitPattern, "exp sum, \(label)")
            XCTAssertEqual(a.exp.map(\.bitPattern), b.exp.map(\.bitPattern), "exp, \(label)")
            XCTAssertEqual(a.scaled.map(\.bitPattern), b.scaled.map(\.bitPattern), "scale, \(label)")
            XCTAssertEqual(a.swiglu.map(\.bitPattern), b.swiglu.map(\.bitPattern), "swiGLU, \(label)")
            XCTAssertEqual(a.neg.map(\.bitPattern), b.neg.map(\.bitPattern), "exp(-x), \(label)")
            XCTAssertEqual(bf16A, bf16B, "bf16 rounding, \(label)")
        } }
    }

    func testTheWidestRunnableBuildIsChosen() throws {
        guard ProcessInfo.processInfo.environment["METALORA_VECTOR_KERNELS"] == nil else { throw XCTSkip("METALORA_VECTOR_KERNELS forces a build") }
        let cpu = CPUFeatures.current
        XCTAssertEqual(RowKernelDispatch.current.name, cpu.runsSkylakeAVX512Code ? "avx512" : cpu.runsHaswellCode ? "avx2" : "baseline")
    }

    func testEachBuildMatchesADoubleReference() {
        for k in RowKernelDispatch.runnable {
            for (i, n) in lengths.enumerated() {
                var x = row(n, seed: UInt64(i + 7))
                let maxRef = x.max()!
                let sumRef = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - Double(maxRef)) }
                let m = x.withUnsafeBufferPointer { k.max($0.baseAddress!, n) }
                XCTAssertEqual(m, maxRef, "\(k.name) max, n=\(n)")
                let sum = x.withUnsafeMutableBufferPointer { k.expShiftedSum($0.baseAddress!, n, m) }
                XCTAssertEqual(sum, sumRef, accuracy: 1e-6 * sumRef, "\(k.name) exp sum, n=\(n)")
            }
        }
    }
}
