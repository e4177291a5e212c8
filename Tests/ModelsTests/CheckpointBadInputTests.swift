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
}
