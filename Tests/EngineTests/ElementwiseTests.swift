import XCTest
import Engine

final class ElementwiseTests: XCTestCase {
    /// 70,001 elements: large enough for the parallel path, odd so every SIMD tail runs.
    let count = 70_001

    func testAddAxpyScaleMultiplyMatchScalarLoops() {
        var rng = SplitMix64(seed: 3)
        let a = rng.floats(count), b = rng.floats(count)
        let ta = tensor(a), tb = tensor(b), out = Tensor(shape: [count])
        Elementwise.add(out.data, ta.data, tb.data, count: count)
        XCTAssertEqual(out.array, zip(a, b).map { $0 + $1 })
        Elementwise.accumulate(out.data, tb.data, count: count)
        XCTAssertEqual(out.array, zip(a, b).map { ($0 + $1) + $1 })
        let y = tensor(a)
        Elementwise.axpy(y.data, alpha: 0.25, tb.data, count: count)
        XCTAssertEqual(y.array, zip(a, b).map { $0 + 0.25 * $1 })
        Elementwise.scale(y.data, by: -2, count: count)
        XCTAssertEqual(y.array, zip(a, b).map { ($0 + 0.25 * $1) * -2 })
        Elementwise.multiply(out.data, ta.data, tb.data, count: count)
        XCTAssertEqual(out.array, zip(a, b).map { $0 * $1 })
        let acc = tensor(a)
        Elementwise.accumulateProduct(acc.data, ta.data, tb.data, count: count)
        XCTAssertEqual(acc.array, zip(a, b).map { $0 + $0 * $1 })
        let ss = Elementwise.sumOfSquares(ta.data, count: count)
        let ref = a.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(ss, ref, accuracy: 1e-5 * ref)
    }

    func testEmbeddingCopiesRowsOfTheTable() {
        let v = 6, c = 5
        var rng = SplitMix64(seed: 4)
        let table = tensor(rng.floats(v * c), [v, c])
        let ids: [Int32] = [3, 0, 5, 3]
        let out = Tensor(shape: [ids.count, c])
        ids.withUnsafeBufferPointer {
            Embedding.forward(out: out.data, ids: $0.baseAddress!, table: table.data, rows: ids.count, vocab: v, channels: c)
        }
        for (i, id) in ids.enumerated() {
            XCTAssertEqual(Array(out.array[(i * c)..<((i + 1) * c)]), Array(table.array[(Int(id) * c)..<((Int(id) + 1) * c)]))
        }
    }
}
