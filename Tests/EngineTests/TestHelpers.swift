// Shared helpers for the engine tests: seeded random data, float64 reference plumbing and
// central finite differences of float64 reference functions.

import XCTest
import Engine

extension SplitMix64 {
    /// `count` floats uniform in [-scale, scale).
    mutating func floats(_ count: Int, scale: Double = 1) -> [Float] {
        (0..<count).map { _ in Float((nextUniform() * 2 - 1) * scale) }
    }
}

func tensor(_ values: [Float], _ shape: [Int]? = nil) -> Tensor {
    Tensor(shape: shape ?? [values.count], values: values)
}

func doubles(_ a: [Float]) -> [Double] { a.map(Double.init) }

/// float64 y[i, o] = Σ_k x[i, k] W[o, k]  (HF layout W [out, in]).
func matmulT(_ x: [Double], _ w: [Double], rows: Int, inner: Int, cols: Int) -> [Double] {
    var y = [Double](repeating: 0, count: rows * cols)
    for i in 0..<rows { for o in 0..<cols {
        var s = 0.0
        for k in 0..<inner { s += x[i * inner + k] * w[o * inner + k] }
        y[i * cols + o] = s
    }}
    return y
}

func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "maxAbsDiff: \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
}

func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

/// Gradient of `sum(f(x) * g)` w.r.t. x by central differences of a float64 function (step 1e-6:
/// truncation error ~1e-12 relative for these smooth functions, far below float32 kernel error).
func finiteDifferenceGradient(_ x: [Double], weights g: [Double], step h: Double = 1e-6,
                              _ f: ([Double]) -> [Double]) -> [Double] {
    var xs = x
    var grad = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let keep = xs[i]
        xs[i] = keep + h
        let plus = zip(f(xs), g).reduce(0) { $0 + $1.0 * $1.1 }
        xs[i] = keep - h
        let minus = zip(f(xs), g).reduce(0) { $0 + $1.0 * $1.1 }
        xs[i] = keep
        grad[i] = (plus - minus) / (2 * h)
    }
    return grad
}

/// Asserts |actual - expected| <= atol + rtol * max|expected| and returns the max abs error (for reports).
@discardableResult
func assertGradient(_ actual: [Float], _ expected: [Double], atol: Double = 1e-6, rtol: Double = 1e-4,
                    _ label: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
    let err = maxAbsDiff(actual, expected)
    let bound = atol + rtol * maxAbs(expected)
    XCTAssertLessThanOrEqual(err, bound, "\(label): max |diff| \(err) exceeds \(bound)", file: file, line: line)
    XCTAssertGreaterThan(maxAbs(expected), 0, "\(label): degenerate (all-zero) reference gradient", file: file, line: line)
    if ProcessInfo.processInfo.environment["METALORA_TEST_VERBOSE"] != nil { print("[err] \(label): \(err)") }
    return err
}

/// Forward-value check with the same reporting.
@discardableResult
func assertValues(_ actual: [Float], _ expected: [Double], atol: Double, _ label: String,
                  file: StaticString = #filePath, line: UInt = #line) -> Double {
    let err = maxAbsDiff(actual, expected)
    XCTAssertLessThanOrEqual(err, atol, "\(label): max |diff| \(err) exceeds \(atol)", file: file, line: line)
    if ProcessInfo.processInfo.environment["METALORA_TEST_VERBOSE"] != nil { print("[err] \(label): \(err)") }
    return err
}
