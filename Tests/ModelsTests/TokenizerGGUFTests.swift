import Foundation
import XCTest
import Models
import TestSupport

/// `Tokenizer.fromGGUF` on small GGUF files written here, for the metadata paths the SmolLM2
/// fixture does not cover (SentencePiece, LLaMA-3 defaults) and for bad input.
final class TokenizerGGUFTests: XCTestCase {
    typealias Value = GGUFWriter.Value

    /// A GGUF v3 file with the given metadata and no tensors.
    static func writeGGUF(_ metadata: [(String, Value)]) throws -> URL {
        try GGUFWriter(metadata: metadata).write(name: "tokenizer")
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
