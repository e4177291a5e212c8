import XCTest
import Engine
import TestSupport

/// The bf16 products (oneDNN through `BF16PackedMatrix`) against a float64 product of the same
/// bf16-rounded inputs: what is left is float32 accumulation error, so the tolerance is 1e-5
/// relative to the sum of |terms| per output.
final class BF16Tests: XCTestCase {
    func testRoundToBF16IsRoundToNearestEven() {
        let cases: [(Float, UInt16)] = [
            (1.0, 0x3F80), (-2.0, 0xC000), (0, 0), (Float(bitPattern: 0x3F80_8000), 0x3F80),   // tie → even (down)
            (Float(bitPattern: 0x3F81_8000), 0x3F82),                                             // tie → even (up)
            (Float(bitPattern: 0x3F80_8001), 0x3F81), (.infinity, 0x7F80), (-.infinity, 0xFF80),
            (Float.greatestFiniteMagnitude, 0x7F80),                                              // overflows to inf, as RNE does
        ]
        for kernels in [RowKernelDispatch.baseline, RowKernelDispatch.current] {
            for (x, expected) in cases {
                var out: UInt16 = 0, v = x
                kernels.roundToBF16(&out, &v, 1)
                XCTAssertEqual(out, expected, "\(kernels.name): \(x) (bits \(String(x.bitPattern, radix: 16)))")
            }
            var out: UInt16 = 0, nan = Float.nan
            kernels.roundToBF16(&out, &nan, 1)
            XCTAssertTrue(Float(bitPattern: UInt32(out) << 16).isNaN, "\(kernels.name): NaN must stay NaN")
        }
    }

    func testBF16RefusedWithoutTheFeatureNamed() {
        let cpu = CPUFeatures(modelName: "Test CPU", flags: ["avx2", "fma", "avx512f"], logicalCores: 2)
        let reason = Precision.bf16.unavailableReason(on: cpu)
        XCTAssertNotNil(reason)
        XCTAssertTrue(reason!.contains("avx512_bf16") && reason!.contains("Test CPU"), reason!)
        XCTAssertThrowsError(try Precision.bf16.requireAvailable(on: cpu))
        XCTAssertNil(Precision.f32.unavailableReason(on: cpu))
        XCTAssertNil(Precision.bf16.unavailableReason(on: CPUFeatures(modelName: "x", flags: ["avx512_bf16"], logicalCores: 1)))
        XCTAssertThrowsError(try Precision(parsing: "fp8")) { XCTAssertTrue("\($0)".contains("f32 or bf16")) }
    }

    /// y = x Wᵀ (+ y) and dx = dy W (+ dx) at row counts that hit full blocks, blocks with a
    /// 16-row remainder and single rows, on 1 and 2 threads, with dense and wider output strides.
    func testProductsMatchRoundedFloat64() throws {
        try requireBF16()
        var rng = SplitMix64(seed: 7)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(Double(rng.next() % 20001) / 10000 - 1) } }
        let (out, inp) = (80, 48)
        let w = random(out * inp)
        // BF16Linear keeps a pointer to W: the array must stay put, so copy it to a tensor.
        let weight = Tensor(shape: [out, inp], values: w)
        let layer = try BF16Linear(weight: weight.data, outFeatures: out, inFeatures: inp)
        let packed = try w.withUnsafeBufferPointer {
            try BF16PackedMatrix(source: $0.baseAddress!, k: inp, n: out, rowStride: 1, columnStride: inp)
        }
        for threads in [1, 2] {
            Parallel.setThreads(threads)
            defer { Parallel.setThreads(ProcessInfo.processInfo.activeProcessorCount) }
            for rows in [1, 16, 17, 530, 1040, 3000] {
                for (beta, ldy): (Float, Int) in [(0, out), (1, out), (0, out + 5), (1, out + 5)] {
                    let x = random(rows * inp)
                    var y = random(rows * ldy)
                    let y0 = y
                    x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
                        packed.multiply(c: yp.baseAddress!, ldc: ldy, a: xp.baseAddress!, lda: inp, m: rows, beta: beta)
                    } }
                    for i in 0..<rows {
                        for j in 0..<out {
                            let (sum, magnitude) = bf16Dot(inp, { x[i * inp + $0] }, { w[j * inp + $0] })
                            let expected = sum + Double(beta) * Double(y0[i * ldy + j])
                            XCTAssertEqual(Double(y[i * ldy + j]), expected, accuracy: 1e-5 * (magnitude + 1),
                                           "threads \(threads) rows \(rows) beta \(beta) ldc \(ldy) at (\(i), \(j))")
                        }
                        for j in out..<ldy { XCTAssertEqual(y[i * ldy + j], y0[i * ldy + j], "column \(j) outside C was written") }
                    }
                }
            }
        }
        // The input gradient through the backward copy: dx = dy W.
        do {
            let rows = 33
            let dy = random(rows * out)
            var dx = [Float](repeating: 0, count: rows * inp)
            dy.withUnsafeBufferPointer { dyp in dx.withUnsafeMutableBufferPointer { dxp in
                layer.backwardInput(dx: dxp.baseAddress!, dy: dyp.baseAddress!, rows: rows, beta: 0)
            } }
            for i in 0..<rows {
                for t in 0..<inp {
                    let (sum, magnitude) = bf16Dot(out, { dy[i * out + $0] }, { w[$0 * inp + t] })
                    XCTAssertEqual(Double(dx[i * inp + t]), sum, accuracy: 1e-5 * (magnitude + 1), "backward at (\(i), \(t))")
                }
            }
        }
    }

    /// Operands side by side (`parts`, e.g. dq | dk | dv against the stacked q|k|v weights) give
    /// the product of their concatenation, each part read with its own row stride.
    func testProductOfOperandsSideBySideMatchesRoundedFloat64() throws {
        try requireBF16()
        var rng = SplitMix64(seed: 8)
        func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(Double(rng.next() % 20001) / 10000 - 1) } }
        let widths = [24, 8, 16], strides = [30, 8, 21], k = widths.reduce(0, +), n = 40
        let w = random(k * n)   // B [k, n] row-major
        let packed = try w.withUnsafeBufferPointer { try BF16PackedMatrix(source: $0.baseAddress!, k: k, n: n, rowStride: n, columnStride: 1) }
        for rows in [5, 37] {
            let sources = zip(widths, strides).map { _, stride in random(rows * stride) }
            var c = [Float](repeating: 0, count: rows * n)
            sources[0].withUnsafeBufferPointer { a in sources[1].withUnsafeBufferPointer { b in sources[2].withUnsafeBufferPointer { d in
                let parts = [BF16Operand(a.baseAddress!, stride: strides[0], columns: widths[0]),
                             BF16Operand(b.baseAddress!, stride: strides[1], columns: widths[1]),
                             BF16Operand(d.baseAddress!, stride: strides[2], columns: widths[2])]
                c.withUnsafeMutableBufferPointer { packed.multiply(c: $0.baseAddress!, ldc: n, parts: parts, m: rows, beta: 0) }
            } } }
            func left(_ i: Int, _ column: Int) -> Float {
                var column = column, part = 0
                while column >= widths[part] { column -= widths[part]; part += 1 }
                return sources[part][i * strides[part] + column]
            }
            for i in 0..<rows {
                for j in 0..<n {
                    let (sum, magnitude) = bf16Dot(k, { left(i, $0) }, { w[$0 * n + j] })
                    XCTAssertEqual(Double(c[i * n + j]), sum, accuracy: 1e-5 * (magnitude + 1), "rows \(rows) at (\(i), \(j))")
                }
            }
        }
    }

    /// The dense products of attention (scores against keys stored by position, weights against
    /// values) match float64 and run brgemm kernels at the padded shapes attention uses.
    func testDenseProductsMatchRoundedFloat64AndUseBrgemm() throws {
        try requireBF16()
        var rng = SplitMix64(seed: 9)
        let (m, n, k) = (32, 64, 48)
        let aValues = (0..<(m * k)).map { _ in bf16Rounded(Float(Double(rng.next() % 20001) / 10000 - 1)) }
        let bValues = (0..<(k * n)).map { _ in bf16Rounded(Float(Double(rng.next() % 20001) / 10000 - 1)) }
        func bits(_ x: [Float]) -> [UInt16] { x.map { UInt16($0.bitPattern >> 16) } }
        let a = bits(aValues), bRows = bits(bValues)
        // Bᵀ [n, k]: element (j, t) = B(t, j).
        let bTransposed = bits((0..<(n * k)).map { bValues[($0 % k) * n + $0 / k] })
        for (transposed, b) in [(false, bRows), (true, bTransposed)] {
            var c = [Float](repeating: .nan, count: m * n)
            c.withUnsafeMutableBufferPointer { BF16DenseProduct.multiply(c: $0.baseAddress!, a: a, b: b, m: m, n: n, k: k, transposedB: transposed) }
            for i in 0..<m { for j in 0..<n {
                let (sum, magnitude) = bf16Dot(k, { aValues[i * k + $0] }, { bValues[$0 * n + j] })
                XCTAssertEqual(Double(c[i * n + j]), sum, accuracy: 1e-5 * (magnitude + 1), "transposedB \(transposed) at (\(i), \(j))")
            }}
        }
        for (rows, keys) in [(64, 512), (128, 1024), (16, 32)] {
            let scores = try BF16DenseProduct.implementation(m: rows, n: keys, k: 64, transposedB: true)
            let output = try BF16DenseProduct.implementation(m: rows, n: 64, k: keys, transposedB: false)
            XCTAssertTrue(scores.hasPrefix("brg") && output.hasPrefix("brg"), "\(rows) rows, \(keys) keys: \(scores), \(output)")
        }
    }

    /// Every block shape a product uses runs oneDNN's brgemm kernels, not its reference loop.
    func testBlocksUseBrgemm() throws {
        try requireBF16()
        let (k, n) = (576, 1536)
        let w = [Float](repeating: 0.01, count: k * n)
        let packed = try w.withUnsafeBufferPointer {
            try BF16PackedMatrix(source: $0.baseAddress!, k: k, n: n, rowStride: 1, columnStride: k)
        }
        XCTAssertTrue(packed.implementation.hasPrefix("brg"), packed.implementation)
        for rows in [16, 48, 256, 512] {
            for accumulate in [false, true] {
                let name = try packed.implementation(rows: rows, accumulate: accumulate)
                XCTAssertTrue(name.hasPrefix("brg"), "\(rows) rows, accumulate \(accumulate): \(name)")
            }
        }
    }
}

/// Σ_k bf16(a(k)) · bf16(b(k)) over k < n in float64, and Σ_k |term| (the scale of the rounding error).
func bf16Dot(_ n: Int, _ a: (Int) -> Float, _ b: (Int) -> Float) -> (sum: Double, magnitude: Double) {
    var sum = 0.0, magnitude = 0.0
    for k in 0..<n {
        let term = Double(bf16Rounded(a(k))) * Double(bf16Rounded(b(k)))
        sum += term; magnitude += abs(term)
    }
    return (sum, magnitude)
}
