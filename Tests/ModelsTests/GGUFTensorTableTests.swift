import XCTest
import Models
import TestSupport

/// A damaged byte in a GGUF tensor table (a tensor's type or offset) must be a named error at
/// open time, never weights read from the wrong bytes.
final class GGUFTensorTableTests: XCTestCase {
    func copy(_ data: Data, _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf")
        try data.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Byte position of the tensor info's type field: after the name (u64 length + bytes), u32 n_dims and n_dims u64 dims.
    func typeFieldPosition(of info: GGUFFile.TensorInfo, in data: Data) throws -> Int {
        var pattern = Data()
        var length = UInt64(info.name.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { pattern.append(contentsOf: $0) }
        pattern.append(contentsOf: Array(info.name.utf8))
        let found = try XCTUnwrap(data.range(of: pattern), "tensor info of \(info.name) not found")
        return found.upperBound - data.startIndex + 4 + 8 * info.ne.count
    }

    func assertError(_ url: URL, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try GGUFFile(url: url), file: file, line: line) { error in
            let text = "\(error)"
            for f in [url.path] + fragments { XCTAssertTrue(text.contains(f), "expected '\(f)' in: \(text)", file: file, line: line) }
        }
    }

    func testRealFilesPassTheTableCheck() throws {
        for name in ["tiny-llama/model-f32.gguf", "tiny-llama/model-q4_1.gguf", "tiny-llama/model-q8_0.gguf"] {
            XCTAssertNoThrow(try GGUFFile(url: try Fixtures.require(name)), name)
        }
    }

    func testFlippedTypeByteIsNamed() throws {
        let url = try Fixtures.require("tiny-llama/model-f32.gguf")
        let gguf = try GGUFFile(url: url)
        let victim = try XCTUnwrap(gguf.tensorOrder.map { gguf.tensors[$0]! }.first { $0.type == .f32 && $0.elementCount % 32 == 0 })
        var data = try Data(contentsOf: url)
        let at = try typeFieldPosition(of: victim, in: data)
        XCTAssertEqual(data[at], 0, "F32 is type 0")
        data[at] = UInt8(GGMLType.q8_0.rawValue)   // F32 read as Q8_0: fewer bytes than stored
        assertError(try copy(data, "type-q8"), mentions: [victim.name, "Q8_0", "unaccounted"])
        data[at] = 0xEE                           // no such type
        assertError(try copy(data, "type-unknown"), mentions: [victim.name, "238"])
    }

    func testFlippedOffsetByteIsNamed() throws {
        let url = try Fixtures.require("tiny-llama/model-f32.gguf")
        let gguf = try GGUFFile(url: url)
        let byOffset = gguf.tensors.values.sorted { $0.offset < $1.offset }
        let second = byOffset[1]
        var data = try Data(contentsOf: url)
        let offsetField = try typeFieldPosition(of: second, in: data) + 4
        // The second tensor moved onto the first one's bytes.
        for i in 0..<8 { data[offsetField + i] = 0 }
        assertError(try copy(data, "overlap"), mentions: [second.name, "overlaps", byOffset[0].name])
        // A misaligned offset.
        data = try Data(contentsOf: url)
        data[offsetField] ^= 0x01
        assertError(try copy(data, "misaligned"), mentions: [second.name, "not aligned"])
    }

    func testEmptyModelFolderSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("empty-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try LanguageModel(url: dir)) { error in
            XCTAssertTrue("\(error)".contains("the folder is empty"), "\(error)")
            XCTAssertFalse("\(error)".contains("config.json:"), "names a file that does not exist: \(error)")
        }
        try Data("x".utf8).write(to: dir.appendingPathComponent("model.gguf"))
        XCTAssertThrowsError(try LanguageModel(url: dir)) { error in
            XCTAssertTrue("\(error)".contains("no Hugging Face model") && "\(error)".contains("model.gguf"), "\(error)")
        }
    }
}
