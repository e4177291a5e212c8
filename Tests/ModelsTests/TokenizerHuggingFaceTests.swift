import Foundation
import XCTest
import Models

/// `Tokenizer.fromHuggingFace` on small tokenizer.json / tokenizer_config.json files written here.
final class TokenizerHuggingFaceTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hf-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ object: [String: Any], _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    /// Byte-level vocabulary: id b is the byte-level character of byte b; then 256 he, 257 ll,
    /// 258 Ġt, 259 Ġthe, 260 12, 261 Ġh; added 262 <|endoftext|>, 263 <|im_start|>, 264 <tool> (not special).
    static let byteLevelMerges = ["h e", "l l", "Ġ t", "Ġt he", "1 2", "Ġ h"]

    static func byteLevelTokenizerJSON(preTokenizer: [String: Any], pairMerges: Bool = false) -> [String: Any] {
        var vocab: [String: Int] = [:]
        for b in 0...255 { vocab[String(Unicode.Scalar(ByteLevelAlphabet.scalarForByte[b])!)] = b }
        for (i, t) in ["he", "ll", "Ġt", "Ġthe", "12", "Ġh"].enumerated() { vocab[t] = 256 + i }
        let merges: [Any] = pairMerges
            ? byteLevelMerges.map { $0.split(separator: " ").map(String.init) } : byteLevelMerges
        return [
            "version": "1.0",
            "added_tokens": [
                ["id": 262, "content": "<|endoftext|>", "special": true],
                ["id": 263, "content": "<|im_start|>", "special": true],
                ["id": 264, "content": "<tool>", "special": false],
            ],
            "normalizer": NSNull(),
            "pre_tokenizer": preTokenizer,
            "model": ["type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": false],
        ]
    }

    static let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]

    func testSmolLMStyleWithConfig() throws {
        let pre: [String: Any] = ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true], TokenizerHuggingFaceTests.byteLevel]]
        _ = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: pre), "tokenizer.json")
        _ = try write(["bos_token": "<|im_start|>", "eos_token": ["content": "<|endoftext|>"], "add_bos_token": true,
                       "chat_template": "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"],
                      "tokenizer_config.json")
        let t = try Tokenizer.fromHuggingFace(directory: directory)
        XCTAssertEqual(t.vocabularySize, 265)
        XCTAssertEqual(t.vocabulary.preTokenizer, .smollm)
        XCTAssertEqual(t.bosId, 263)
        XCTAssertEqual(t.eosId, 262)
        XCTAssertTrue(t.addsBOS)
        // Digits are split one by one, so merge "1 2" never applies.
        XCTAssertEqual(t.encode("a12", addSpecial: false), [0x61, 0x31, 0x32])
        XCTAssertEqual(t.encode(" the<|endoftext|>"), [263, 259, 262])
        XCTAssertEqual(t.encode("x<tool>"), [263, 0x78, 264])
        XCTAssertEqual(try t.decode([263, 0x78, 264, 261, 256]), "<|im_start|>x<tool> hhe")
        XCTAssertEqual(t.chatFormat, .chatML(defaultSystem: nil))
    }

    func testPlainByteLevelWithPairMerges() throws {
        let url = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: TokenizerHuggingFaceTests.byteLevel, pairMerges: true), "tokenizer.json")
        let t = try Tokenizer.fromHuggingFace(tokenizerJSON: url)
        XCTAssertEqual(t.vocabulary.preTokenizer, .gpt2)
        XCTAssertFalse(t.addsBOS)
        // " hello": "h e" (rank 0) and "l l" (1) merge before "Ġ h" (5) could, leaving Ġ alone.
        XCTAssertEqual(t.encode("a12 hello"), [0x61, 260, 0x20, 256, 257, 0x6F])
        XCTAssertEqual(t.encode(" h"), [261])
        XCTAssertNil(t.chatFormat)
    }

    func testBosFromNestedTemplateProcessing() throws {
        var json = TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: TokenizerHuggingFaceTests.byteLevel)
        json["post_processor"] = ["type": "Sequence", "processors": [
            ["type": "ByteLevel"],
            ["type": "TemplateProcessing", "single": [["SpecialToken": ["id": "<|im_start|>", "type_id": 0]],
                                                      ["Sequence": ["id": "A", "type_id": 0]]]]]]
        let t = try Tokenizer.fromHuggingFace(tokenizerJSON: try write(json, "tokenizer.json"))
        XCTAssertEqual(t.bosId, 263)
        XCTAssertEqual(t.encode("he"), [263, 256])
    }

    func testLlama3SplitRegex() throws {
        let split: [String: Any] = ["type": "Split", "behavior": "Isolated", "invert": false,
                                    "pattern": ["Regex": #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#]]
        let pre: [String: Any] = ["type": "Sequence", "pretokenizers": [split, ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]
        let url = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: pre), "tokenizer.json")
        let t = try Tokenizer.fromHuggingFace(tokenizerJSON: url)
        XCTAssertEqual(t.vocabulary.preTokenizer, .llamaBPE)
        XCTAssertEqual(t.encode("a12"), [0x61, 260])
    }

    func testSentencePieceStyleLlama2() throws {
        let v = TokenizerSentencePieceTests.vocabulary()
        var vocab: [String: Int] = [:]
        for (i, t) in v.tokens.enumerated() { vocab[t] = i }
        let json: [String: Any] = [
            "added_tokens": [["id": 0, "content": "<unk>", "special": true], ["id": 1, "content": "<s>", "special": true],
                             ["id": 2, "content": "</s>", "special": true]],
            "normalizer": ["type": "Sequence", "normalizers": [
                ["type": "Prepend", "prepend": "▁"], ["type": "Replace", "pattern": ["String": " "], "content": "▁"]]],
            "pre_tokenizer": NSNull(),
            "post_processor": ["type": "TemplateProcessing", "single": [
                ["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]]],
            "model": ["type": "BPE", "byte_fallback": true, "unk_token": "<unk>", "vocab": vocab,
                      "merges": ["h e", "l l", "ll o", "▁ he", "▁he llo", "o r", "▁ w", "l d", "▁w or"]],
        ]
        let url = try write(json, "tokenizer.json")
        let t = try Tokenizer.fromHuggingFace(tokenizerJSON: url)
        XCTAssertEqual(t.vocabulary.model, .llama)
        XCTAssertEqual(t.unknownId, 0)
        XCTAssertTrue(t.addsBOS)
        XCTAssertEqual(t.encode("hello world"), [1] + TokenizerSentencePieceTests.helloWorld)
        XCTAssertEqual(t.encode("héllo", addSpecial: false), [259, 260, 3 + 0xC3, 3 + 0xA9, 269])
        XCTAssertEqual(try t.decode([1, 259, 260, 3 + 0xC3, 3 + 0xA9, 269], skipSpecial: true), "héllo")
    }

    func testUnsupportedShapesNameFileAndField() throws {
        let metaspace = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: ["type": "Metaspace", "replacement": "▁"]), "metaspace.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(tokenizerJSON: metaspace)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedPreTokenizer(file: metaspace.path, field: "pre_tokenizer.type", value: "Metaspace"))
            XCTAssertTrue("\(error)".contains(metaspace.path), "\(error)")
        }
        let qwen: [String: Any] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": #"(?i:'s|'t)|\p{N}"#], "behavior": "Isolated"],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": false]]]
        let regex = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: qwen), "regex.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(tokenizerJSON: regex)) { error in
            XCTAssertTrue("\(error)".contains("pre_tokenizer.pretokenizers[0].pattern") && "\(error)".contains(regex.path), "\(error)")
        }
        let prefix = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: ["type": "ByteLevel", "add_prefix_space": true]), "prefix.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(tokenizerJSON: prefix)) { error in
            XCTAssertTrue("\(error)".contains("pre_tokenizer.add_prefix_space"), "\(error)")
        }
        var wordPiece = TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: TokenizerHuggingFaceTests.byteLevel)
        wordPiece["model"] = ["type": "WordPiece", "vocab": ["a": 0]]
        let wp = try write(wordPiece, "wordpiece.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(tokenizerJSON: wp)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupportedModel(file: wp.path, field: "model.type", value: "WordPiece"))
        }
        var gap = TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: TokenizerHuggingFaceTests.byteLevel)
        gap["added_tokens"] = [["id": 300, "content": "<x>", "special": true]]
        let gapURL = try write(gap, "gap.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(tokenizerJSON: gapURL)) { error in
            XCTAssertTrue("\(error)".contains("model.vocab") && "\(error)".contains("262"), "\(error)")
        }
        let missing = directory.appendingPathComponent("absent.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(tokenizerJSON: missing)) { error in
            XCTAssertTrue("\(error)".contains(missing.path), "\(error)")
        }
    }

    func testBadConfigTokenIsReported() throws {
        _ = try write(TokenizerHuggingFaceTests.byteLevelTokenizerJSON(preTokenizer: TokenizerHuggingFaceTests.byteLevel), "tokenizer.json")
        let config = try write(["bos_token": "<nope>"], "tokenizer_config.json")
        XCTAssertThrowsError(try Tokenizer.fromHuggingFace(directory: directory)) { error in
            XCTAssertEqual(error as? TokenizerError, .malformed(file: config.path, field: "bos_token", reason: "'<nope>' is not in the vocabulary"))
        }
    }
}
