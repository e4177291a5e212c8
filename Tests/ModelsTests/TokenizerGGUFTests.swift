import Foundation
import XCTest
import Models

/// `Tokenizer.fromGGUF` on small GGUF files written here, for the metadata paths the SmolLM2
/// fixture does not cover (SentencePiece, LLaMA-3 defaults) and for bad input.
final class TokenizerGGUFTests: XCTestCase {
    /// Metadata values this writer can emit.
    enum Value {
        case string(String), strings([String]), floats([Float]), int32s([Int32]), uint32(UInt32), bool(Bool)
    }

    /// A GGUF v3 file with the given metadata and no tensors.
    static func writeGGUF(_ metadata: [(String, Value)]) throws -> URL {
        var out = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: Array(s.utf8)) }
        u32(3); u64(0); u64(UInt64(metadata.count))
        for (key, value) in metadata {
            str(key)
            switch value {
            case let .string(s): u32(8); str(s)
            case let .strings(a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach(str)
            case let .floats(a): u32(9); u32(6); u64(UInt64(a.count)); a.forEach { u32($0.bitPattern) }
            case let .int32s(a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
            case let .uint32(v): u32(4); u32(v)
            case let .bool(b): u32(7); out.append(b ? 1 : 0)
            }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-\(UUID().uuidString).gguf")
        try out.write(to: url)
        return url
    }

    func testSentencePieceModelFromGGUF() throws {
        let v = TokenizerSentencePieceTests.vocabulary()
        let url = try TokenizerGGUFTests.writeGGUF([
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .strings(v.tokens)),
            ("tokenizer.ggml.scores", .floats(v.scores!)),
            ("tokenizer.ggml.token_type", .int32s(v.tokenTypes!)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.chat_template", .string("{% if messages[0]['role'] == 'system' %}[INST] <<SYS>>… [/INST]{% endif %}")),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        let t = try Tokenizer.fromGGUF(url: url)
        // llama.cpp's default for SentencePiece models without add_bos_token: add BOS.
        XCTAssertTrue(t.addsBOS)
        XCTAssertEqual(t.encode("hello world"), [1] + TokenizerSentencePieceTests.helloWorld)
        XCTAssertEqual(t.chatFormat, .llama2(bos: "<s>", eos: "</s>"))
    }

    func testLlama3DefaultsFromGGUF() throws {
        // "hel" (id 265) has no merge building it.
        let v = TokenizerByteLevelTests.vocabulary()
        let url = try TokenizerGGUFTests.writeGGUF([
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("llama-bpe")),
            ("tokenizer.ggml.tokens", .strings(v.tokens + ["hel"])),
            ("tokenizer.ggml.token_type", .int32s(v.tokenTypes! + [1])),
            ("tokenizer.ggml.merges", .strings(v.merges)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        let t = try Tokenizer.fromGGUF(url: url)
        XCTAssertEqual(t.vocabulary.preTokenizer, .llamaBPE)
        XCTAssertTrue(t.vocabulary.ignoreMerges)
        XCTAssertFalse(t.addsBOS)
        // ignore_merges: a pre-token that is a vocabulary entry is used whole, though merges give [he, l].
        XCTAssertEqual(t.encode("hel"), [265])
        XCTAssertEqual(t.encode("hell"), [260, 259])
    }

    func testUnknownModelKindNamesFileAndValue() throws {
        let url = try TokenizerGGUFTests.writeGGUF([
            ("tokenizer.ggml.model", .string("bert")),
            ("tokenizer.ggml.tokens", .strings(["[PAD]", "a"])),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try Tokenizer.fromGGUF(url: url)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedModel(file: url.path, field: "tokenizer.ggml.model", value: "bert"))
            XCTAssertTrue("\(error)".contains(url.path) && "\(error)".contains("'bert'"), "\(error)")
        }
    }

    func testUnknownPreTokenizerNamesFileAndValue() throws {
        let url = try TokenizerGGUFTests.writeGGUF([
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("qwen2")),
            ("tokenizer.ggml.tokens", .strings(["a"])),
            ("tokenizer.ggml.merges", .strings(["a a"])),
        ])
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try Tokenizer.fromGGUF(url: url)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedPreTokenizer(file: url.path, field: "tokenizer.ggml.pre", value: "qwen2"))
        }
    }

    func testMissingAndMismatchedFields() throws {
        let noModel = try TokenizerGGUFTests.writeGGUF([("tokenizer.ggml.tokens", .strings(["a"]))])
        defer { try? FileManager.default.removeItem(at: noModel) }
        XCTAssertThrowsError(try Tokenizer.fromGGUF(url: noModel)) { error in
            XCTAssertEqual(error as? TokenizerError, .missingField(file: noModel.path, field: "tokenizer.ggml.model"))
        }
        let shortScores = try TokenizerGGUFTests.writeGGUF([
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .strings(["a", "b"])),
            ("tokenizer.ggml.scores", .floats([0])),
        ])
        defer { try? FileManager.default.removeItem(at: shortScores) }
        XCTAssertThrowsError(try Tokenizer.fromGGUF(url: shortScores)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.scores") && "\(error)".contains(shortScores.path), "\(error)")
        }
    }
}
