import XCTest
import Engine
import Models
import TestSupport

/// Damaged checkpoints must give one clear error naming the file — never a crash, a hang or a
/// silently wrong model.
final class CheckpointBadInputTests: XCTestCase {
    func temporaryCopy(_ data: Data, _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf")
        try data.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func assertCleanError(_ url: URL, contains fragment: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LanguageModel(url: url), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path), "error does not name the file: \(text)", file: file, line: line)
            if let fragment { XCTAssertTrue(text.contains(fragment), "expected '\(fragment)' in: \(text)", file: file, line: line) }
        }
    }

    /// Cut the real Q4_1 tiny model at many points: header, metadata, tensor infos, data.
    func testTruncatedGGUFAtAnyPointIsACleanError() throws {
        let whole = try Data(contentsOf: Fixtures.require("tiny-llama/model-q4_1.gguf"))
        let cuts = [0, 3, 7, 20, 100, 1_000, 4_000, whole.count / 2, whole.count - 1]
        for cut in cuts {
            assertCleanError(try temporaryCopy(whole.prefix(cut), "cut\(cut)"))
        }
    }

    func testWrongMagicAndVersion() throws {
        var data = try Data(contentsOf: Fixtures.require("tiny-llama/model-f32.gguf"))
        data[0] = UInt8(ascii: "X")
        assertCleanError(try temporaryCopy(data, "magic"), contains: "not a GGUF file")
        data[0] = UInt8(ascii: "G")
        data[4] = 9
        assertCleanError(try temporaryCopy(data, "version"), contains: "version 9")
    }

    func llamaMetadata(arch: String = "llama", vocab: Int = 8, hidden: Int = 4) -> [(String, GGUFWriter.Value)] {
        [("general.architecture", .string(arch)), ("\(arch).block_count", .uint32(1)),
         ("\(arch).context_length", .uint32(16)), ("\(arch).embedding_length", .uint32(UInt32(hidden))),
         ("\(arch).feed_forward_length", .uint32(8)), ("\(arch).attention.head_count", .uint32(2)),
         ("\(arch).attention.head_count_kv", .uint32(1)), ("\(arch).attention.layer_norm_rms_epsilon", .float32(1e-5)),
         ("\(arch).vocab_size", .uint32(UInt32(vocab)))]
    }

    func testUnknownArchitecture() throws {
        assertCleanError(try GGUFWriter(metadata: llamaMetadata(arch: "mamba")).write(name: "arch"), contains: "architecture 'mamba'")
    }

    func testMissingTensorAndShapeMismatch() throws {
        // Only the embedding, with the wrong shape first, then the right shape (next tensor missing).
        let wrong = GGUFWriter(metadata: llamaMetadata(), tensors: [.f32("token_embd.weight", ne: [4, 9], [Float](repeating: 0, count: 36))])
        assertCleanError(try wrong.write(name: "shape"), contains: "token_embd.weight")
        let missing = GGUFWriter(metadata: llamaMetadata(), tensors: [.f32("token_embd.weight", ne: [4, 8], [Float](repeating: 0, count: 32))])
        assertCleanError(try missing.write(name: "missing"), contains: "missing tensor 'blk.0.attn_norm.weight'")
    }

    func testUnknownAndUnsupportedTensorTypes() throws {
        var data = GGUFWriter(metadata: llamaMetadata(), tensors: [.f32("token_embd.weight", ne: [4, 8], [Float](repeating: 0, count: 32))]).data()
        // The tensor info's type field sits just before its u64 offset at the end of the infos.
        let name = Array("token_embd.weight".utf8)
        let at = data.range(of: Data(name))!.upperBound + 4 + 16
        data[at] = 99
        assertCleanError(try temporaryCopy(data, "type99"), contains: "ggml type id 99")
        // A known but unsupported type (Q2_K) with a matching byte count is refused when read.
        let q2 = GGUFWriter(metadata: llamaMetadata(), tensors: [.init(name: "token_embd.weight", ne: [256, 1], type: .q2_K,
                                                                        bytes: [UInt8](repeating: 0, count: 84))])
        XCTAssertThrowsError(try GGUFFile(url: q2.write(name: "q2k")).floats("token_embd.weight")) { error in
            XCTAssertTrue("\(error)".contains("unsupported type Q2_K"), "\(error)")
        }
    }

    func testCorruptSafetensorsFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let source = try Fixtures.require("tiny-llama")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: folder.appendingPathComponent("config.json"))
        let weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        try weights.prefix(weights.count - 100).write(to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try LanguageModel(url: folder)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors") && "\(error)".contains("truncated"), "\(error)")
        }
    }

    func testTokenIdOutOfRangeIsAnErrorNotACrash() throws {
        let model = try LanguageModel(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        let v = model.config.vocabularySize
        XCTAssertThrowsError(try model.decoder.logits(for: TokenBatch(inputIds: [[1, v + 5]]))) { error in
            XCTAssertEqual(error as? DecoderError, .tokenOutOfRange(id: v + 5, position: 1, vocabulary: v))
        }
        let cache = KVCache(config: model.config, batch: 1, capacity: 4)
        XCTAssertThrowsError(try model.decoder.forwardCached([[-1]], cache: cache))
        XCTAssertThrowsError(try model.requireTokenizer().decode([v + 1]))
    }

    // MARK: the tensor table: a damaged type or offset byte is named at open time, never read as weights

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
        for fragment in fragments { assertCleanError(url, contains: fragment, file: file, line: line) }
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
        assertError(try temporaryCopy(data, "type-q8"), mentions: [victim.name, "Q8_0", "unaccounted"])
        data[at] = 0xEE                           // no such type
        assertError(try temporaryCopy(data, "type-unknown"), mentions: [victim.name, "238"])
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
        assertError(try temporaryCopy(data, "overlap"), mentions: [second.name, "overlaps", byOffset[0].name])
        // A misaligned offset.
        data = try Data(contentsOf: url)
        data[offsetField] ^= 0x01
        assertError(try temporaryCopy(data, "misaligned"), mentions: [second.name, "not aligned"])
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
