import Foundation
import XCTest
import Models
import TestSupport

/// `inspect --tensors / --kv` listings, and GGUF models whose tokenizer needs no merges.
final class CheckpointListingTests: XCTestCase {
    func testGGUFTensorTableMatchesTheFile() throws {
        let url = try Fixtures.require("tiny-llama/model-q4_1.gguf")
        let rows = try CheckpointListing.tensors(at: url)
        let gguf = try GGUFFile(url: url)
        XCTAssertEqual(rows.map(\.name), gguf.tensorOrder)
        let embd = try XCTUnwrap(rows.first { $0.name == "token_embd.weight" })
        XCTAssertEqual(embd.ne, [64, 256])
        XCTAssertEqual(embd.shape, [256, 64])
        // Every row's bytes are the tensor's own: offset and size locate exactly rawBytes.
        let data = try Data(contentsOf: url)
        for r in rows {
            XCTAssertEqual(data.subdata(in: r.offset..<r.offset + r.bytes), try gguf.rawBytes(r.name), r.name)
            XCTAssertEqual(r.bytes, GGMLType.allCases.first { $0.name == r.type }!.byteCount(elements: r.elements), r.name)
        }
        XCTAssertEqual(rows.reduce(0) { $0 + ($1.bytes + 31) / 32 * 32 }, data.count - gguf.dataStartOffset, "the table covers the data section")
    }

    func testSafetensorsTensorTableAndFolder() throws {
        let folder = try Fixtures.require("tiny-llama")
        let file = folder.appendingPathComponent("model.safetensors")
        let st = try SafeTensorsFile(url: file)
        let rows = try CheckpointListing.tensors(at: file)
        XCTAssertEqual(Set(rows.map(\.name)), Set(st.names))
        let data = try Data(contentsOf: file)
        for r in rows {
            XCTAssertNil(r.ne)
            XCTAssertEqual(r.shape, try st.shape(r.name))
            XCTAssertEqual(data.subdata(in: r.offset..<r.offset + r.bytes), try st.rawBytes(r.name), r.name)
        }
        XCTAssertEqual(rows.map(\.offset), rows.map(\.offset).sorted(), "file order")
        XCTAssertEqual(try CheckpointListing.tensors(at: folder).map(\.name), rows.map(\.name), "a folder lists its shards")
        let kv = try CheckpointListing.metadata(at: folder)
        XCTAssertEqual(kv.first { $0.key == "hidden_size" }?.value, "64", "config.json keys")
    }

    func testGGUFMetadataAbbreviatesArrays() throws {
        let url = try GGUFFileWriter.data(metadata: [
            ("general.architecture", .string("llama")),
            ("llama.block_count", .uint32(2)),
            ("tokenizer.ggml.tokens", .array(elementType: 8, (0..<300).map { .string("t\($0)") })),
            ("tokenizer.ggml.scores", .array(elementType: 6, [.float32(0.5), .float32(-1)])),
        ], tensors: [], bytes: { _ in [] }).writeTemporary(name: "kv")
        defer { try? FileManager.default.removeItem(at: url) }
        let kv = try CheckpointListing.metadata(at: url)
        XCTAssertEqual(kv.map(\.key), ["GGUF.version", "GGUF.tensor_count", "GGUF.kv_count", "general.architecture",
                                       "llama.block_count", "tokenizer.ggml.tokens", "tokenizer.ggml.scores"])
        XCTAssertEqual(kv[2].value, "4")
        XCTAssertEqual(kv[3].value, "'llama'")
        XCTAssertEqual(kv[4].type, "UINT32")
        let tokens = kv[5]
        XCTAssertEqual(tokens.type, "[STRING]")
        XCTAssertEqual(tokens.count, 300)
        XCTAssertEqual(tokens.value, "['t0', 't1', 't2', 't3', 't4', ...] (300 items)")
        XCTAssertEqual(kv[6].value, "[0.5, -1.0] (2 items)")
    }

    // MARK: tokenizers without merges

    /// The tiny fixture model with its `tokenizer.*` keys replaced by `tokenizer`.
    func tinyModel(tokenizer: [(String, GGUFValue)]) throws -> URL {
        let source = try GGUFFile(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        let metadata = source.metadataKeys.filter { !$0.hasPrefix("tokenizer.") }.map { ($0, source.metadata[$0]!) } + tokenizer
        let names = source.tensorOrder
        let tensors = names.map { GGUFFileWriter.TensorSpec(name: $0, ne: source.tensors[$0]!.ne, type: source.tensors[$0]!.type) }
        return try GGUFFileWriter.data(metadata: metadata, tensors: tensors) { [UInt8](try source.rawBytes(names[$0])) }
            .writeTemporary(name: "tiny-no-merges")
    }

    /// A 256-piece SentencePiece vocabulary (the model's size): specials, pieces, byte fallbacks.
    static func sentencePieceTokens() -> (tokens: [String], scores: [Float], types: [Int32]) {
        var tokens = ["<unk>", "<s>", "</s>"], scores: [Float] = [0, 0, 0], types: [Int32] = [2, 3, 3]
        for c in ["▁", "h", "e", "l", "o", "w", "r", "d"] { tokens.append(c); scores.append(-100); types.append(1) }
        let merged: [(String, Float)] = [("he", -1), ("ll", -2), ("llo", -3), ("▁he", -4), ("▁hello", -5),
                                         ("or", -6), ("▁w", -7), ("ld", -8), ("▁wor", -9)]
        for (p, s) in merged { tokens.append(p); scores.append(s); types.append(1) }
        var b = 0
        while tokens.count < 256 {
            tokens.append(String(format: "<0x%02X>", b)); scores.append(0); types.append(6); b += 1
        }
        return (tokens, scores, types)
    }

    func testSentencePieceModelWithoutMergesLoads() throws {
        let v = Self.sentencePieceTokens()
        let url = try tinyModel(tokenizer: [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(elementType: 8, v.tokens.map { .string($0) })),
            ("tokenizer.ggml.scores", .array(elementType: 6, v.scores.map { .float32($0) })),
            ("tokenizer.ggml.token_type", .array(elementType: 5, v.types.map { .int32($0) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)), ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertNil(try GGUFFile(url: url).metadata["tokenizer.ggml.merges"], "the file has no merges key")
        let m = try LanguageModel(url: url)
        let t = try m.requireTokenizer()
        XCTAssertEqual(t.vocabulary.model, .llama)
        let ids = t.encode("hello world")
        XCTAssertEqual(ids, [1] + ["▁hello", "▁wor", "ld"].map { t.tokenId($0)! })
        XCTAssertEqual(try t.decode(ids, skipSpecial: true), "hello world")
        let logits = try m.decoder.logits(for: TokenBatch(inputIds: [ids], attentionMask: [ids.map { _ in 1 }])).array
        XCTAssertEqual(logits.count, ids.count * 256)
        XCTAssertTrue(logits.allSatisfy(\.isFinite))
    }

    func testNoVocabularyModelLoadsWithoutTokenizer() throws {
        let url = try tinyModel(tokenizer: [("tokenizer.ggml.model", .string("no"))])
        defer { try? FileManager.default.removeItem(at: url) }
        let m = try LanguageModel(url: url)
        XCTAssertNil(m.tokenizer)
        XCTAssertThrowsError(try m.requireTokenizer())
    }

    func testByteLevelBPEStillNeedsMergesKey() throws {
        let bytes = (0..<256).map { GGUFValue.string(String(format: "b%02x", $0)) }
        let url = try tinyModel(tokenizer: [("tokenizer.ggml.model", .string("gpt2")),
                                            ("tokenizer.ggml.tokens", .array(elementType: 8, bytes))])
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try LanguageModel(url: url)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.merges") && "\(error)".contains(url.path), "\(error)")
        }
        // An empty list is a byte vocabulary that merges nothing: accepted.
        let empty = try tinyModel(tokenizer: [("tokenizer.ggml.model", .string("gpt2")),
                                              ("tokenizer.ggml.tokens", .array(elementType: 8, bytes)),
                                              ("tokenizer.ggml.merges", .array(elementType: 8, []))])
        defer { try? FileManager.default.removeItem(at: empty) }
        XCTAssertNoThrow(try LanguageModel(url: empty))
    }
}

extension Data {
    func writeTemporary(name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf")
        try write(to: url)
        return url
    }
}
