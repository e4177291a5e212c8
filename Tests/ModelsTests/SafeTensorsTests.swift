import XCTest
import Engine
import Models

final class SafeTensorsTests: XCTestCase {
    func testWriteThenReadRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.safetensors")
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-7, -1e7])
        try SafeTensorsFile.write(["a": a, "b": Tensor(shape: [1], values: [42])], metadata: ["k": "v"], to: url)
        let f = try SafeTensorsFile(url: url)
        XCTAssertEqual(f.names, ["a", "b"])
        XCTAssertEqual(try f.shape("a"), [2, 3])
        XCTAssertEqual(try f.floats("a"), a.array)
        XCTAssertEqual(f.metadata["k"], "v")
    }

    func testTruncatedFileIsACleanErrorNamingTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.safetensors")
        try SafeTensorsFile.write(["a": Tensor(shape: [64], repeating: 1)], to: url)
        let whole = try Data(contentsOf: url)
        try whole.prefix(whole.count - 10).write(to: url)
        XCTAssertThrowsError(try SafeTensorsFile(url: url)) { error in
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }
}
