import XCTest
import Engine

final class TensorTests: XCTestCase {
    /// A tensor mapped with zero pages on first touch reads as zeros everywhere, keeps what is
    /// written, and is its own memory (a KV cache's layers must not alias).
    func testZeroPagesOnFirstTouchReadAsZerosAndKeepWrites() {
        let count = 3 << 20   // 12 MiB, several pages
        let a = Tensor(shape: [3, 1 << 20], zeroPagesOnFirstTouch: true)
        let b = Tensor(shape: [3, 1 << 20], zeroPagesOnFirstTouch: true)
        XCTAssertEqual(a.count, count)
        XCTAssertEqual(Int(bitPattern: a.data) % 64, 0, "not 64-byte aligned")
        for i in stride(from: 0, to: count, by: 997) { XCTAssertEqual(a[i], 0); if a[i] != 0 { break } }
        a[0] = 1.5; a[count - 1] = -2; a[count / 2] = 3
        XCTAssertEqual(a[0], 1.5); XCTAssertEqual(a[count - 1], -2); XCTAssertEqual(a[count / 2], 3)
        XCTAssertEqual(b[0], 0); XCTAssertEqual(b[count - 1], 0)
        XCTAssertEqual(a.buffer.reduce(0, +), 2.5)
        // A small mapped tensor and one from the allocator read as zeros too.
        let small = Tensor(shape: [7], zeroPagesOnFirstTouch: true), plain = Tensor(shape: [1 << 19])
        XCTAssertEqual(small.array, [Float](repeating: 0, count: 7))
        XCTAssertEqual(plain.buffer.reduce(0, +), 0)
    }
}
