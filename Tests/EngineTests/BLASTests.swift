import XCTest
import Engine

final class BLASTests: XCTestCase {
    /// sgemm with every transpose combination against a naive triple loop.
    func testSgemmMatchesNaiveLoopForAllTransposes() {
        let m = 5, n = 7, k = 3
        var rng = SplitMix64(seed: 7)
        for transA in [false, true] {
            for transB in [false, true] {
                let a = (0..<(m * k)).map { _ in Float(rng.nextUniform() - 0.5) }
                let b = (0..<(k * n)).map { _ in Float(rng.nextUniform() - 0.5) }
                var c = [Float](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k,
                               a: pa.baseAddress!, lda: transA ? m : k,
                               b: pb.baseAddress!, ldb: transB ? k : n,
                               c: pc.baseAddress!, ldc: n)
                }}}
                for i in 0..<m { for j in 0..<n {
                    var s: Float = 0
                    for p in 0..<k {
                        let av = transA ? a[p * m + i] : a[i * k + p]
                        let bv = transB ? b[j * k + p] : b[p * n + j]
                        s += av * bv
                    }
                    XCTAssertEqual(c[i * n + j], s, accuracy: 1e-5, "transA \(transA) transB \(transB) at (\(i),\(j))")
                }}
            }
        }
    }

    func testCPUFeaturesAreDetectedAtRunTime() {
        let cpu = CPUFeatures.current
        XCTAssertGreaterThan(cpu.logicalCores, 0)
        XCTAssertFalse(BLAS.coreName.isEmpty)
    }
}

final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(of: ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding spills into a second block.
        XCTAssertEqual(SHA256.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: String(repeating: "a", count: 1000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

final class SingleRowProductTests: XCTestCase {
    /// m = 1 goes through sgemv; it must equal the naive product for every transpose and beta.
    func testSingleRowProductsMatchNaiveLoop() {
        var rng = SplitMix64(seed: 9)
        let n = 7, k = 5
        for transA in [false, true] { for transB in [false, true] { for beta: Float in [0, 1] {
            let lda = transA ? 3 : k   // A is [k, lda] when transposed: column 0 holds the row
            let a = (0..<(transA ? k * lda : k)).map { _ in Float(rng.nextUniform() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextUniform() - 0.5) }
            var c = (0..<n).map { _ in Float(rng.nextUniform()) }
            let c0 = c
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(transA: transA, transB: transB, m: 1, n: n, k: k, alpha: 2, a: pa.baseAddress!, lda: lda,
                           b: pb.baseAddress!, ldb: transB ? k : n, beta: beta, c: pc.baseAddress!, ldc: n)
            }}}
            for j in 0..<n {
                var s: Float = 0
                for p in 0..<k { s += (transA ? a[p * lda] : a[p]) * (transB ? b[j * k + p] : b[p * n + j]) }
                XCTAssertEqual(c[j], 2 * s + beta * c0[j], accuracy: 1e-5, "transA \(transA) transB \(transB) beta \(beta)")
            }
        }}}
    }
}
