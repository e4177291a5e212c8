import Foundation
import XCTest
import Models

/// Byte-level BPE on a hand-built vocabulary: ids 0-2 are control tokens, 3 + b is the token of
/// byte b, then merged tokens. Expected ids are derived by hand in the comments.
final class TokenizerByteLevelTests: XCTestCase {
    static func byteToken(_ b: UInt8) -> String {
        String(Unicode.Scalar(ByteLevelAlphabet.scalarForByte[Int(b)])!)
    }

    /// Merges in priority order "l l" (0), "h e" (1), "e l" (2), "Ġ t" (3), "Ġt he" (4).
    static func vocabulary(preTokenizer: PreTokenizerKind = .gpt2) -> TokenizerVocabulary {
        var tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        tokens += (0...255).map { byteToken(UInt8($0)) }
        tokens += ["ll", "he", "el", "Ġt", "Ġthe", "<|im"]  // 259...264
        var types = [Int32](repeating: 1, count: tokens.count)
        types[0] = 3; types[1] = 3; types[2] = 3; types[264] = 4
        return TokenizerVocabulary(tokens: tokens, tokenTypes: types, merges: ["l l", "h e", "e l", "Ġ t", "Ġt he"],
                                   model: .gpt2, preTokenizer: preTokenizer, bosId: 1, eosId: 2)
    }

    static func byteIds(_ s: String) -> [Int] { s.utf8.map { 3 + Int($0) } }

    func testMergesApplyInRankOrder() throws {
        let t = try Tokenizer(TokenizerByteLevelTests.vocabulary())
        // "hell": pairs he(1) el(2) ll(0) → ll first → h e ll → he(1) → [he, ll].
        XCTAssertEqual(t.encode("hell"), [260, 259])
        // "hel": he(1) beats el(2) → [he, l].
        XCTAssertEqual(t.encode("hel"), [260, 3 + 0x6C])
        // " the": Ġt(3) h e → he(1) first, then Ġt(3), then Ġt+he(4) → [Ġthe].
        XCTAssertEqual(t.encode(" the"), [263])
        // "the hell": pieces "the", " hell" → t, he | Ġ, he, ll.
        XCTAssertEqual(t.encode("the hell"), [3 + 0x74, 260, 3 + 0x20, 260, 259])
        // Repeats come from the cache and must not change.
        XCTAssertEqual(t.encode("hell hell hell"), [260, 259, 3 + 0x20, 260, 259, 3 + 0x20, 260, 259])
    }

    func testSpecialTokensAreMatchedWholeLongestFirst() throws {
        let t = try Tokenizer(TokenizerByteLevelTests.vocabulary())
        // "<|im_start|>" wins over its prefix "<|im" (user-defined); a lone "<|im" is that token.
        XCTAssertEqual(t.encode("<|im_start|>x<|im"), [1, 3 + 0x78, 264])
        XCTAssertEqual(t.encode("a<|im_end|>b"), [3 + 0x61, 2, 3 + 0x62])
        // Without special parsing every byte is spelled out.
        XCTAssertEqual(t.encode("<|endoftext|>", parseSpecial: false), TokenizerByteLevelTests.byteIds("<|endoftext|>"))
        // User-defined tokens are matched regardless: "<|im" then "_end|>" spelled out.
        XCTAssertEqual(t.encode("<|im_end|>", parseSpecial: false), [264] + TokenizerByteLevelTests.byteIds("_end|>"))
        XCTAssertEqual(try t.decode([1, 3 + 0x78, 264]), "<|im_start|>x<|im")
        // skipSpecial drops control tokens but keeps user-defined ones.
        XCTAssertEqual(try t.decode([1, 3 + 0x78, 264, 2], skipSpecial: true), "x<|im")
    }

    func testBosAndEosFollowTheVocabularyFlags() throws {
        var v = TokenizerByteLevelTests.vocabulary()
        v.addBOS = true
        v.addEOS = true
        let t = try Tokenizer(v)
        XCTAssertTrue(t.addsBOS)
        XCTAssertEqual(t.encode("hel"), [1, 260, 3 + 0x6C, 2])
        XCTAssertEqual(t.encode("hel", addSpecial: false), [260, 3 + 0x6C])
        XCTAssertEqual(t.encode(""), [1, 2])
        XCTAssertEqual(t.encode("", addSpecial: false), [])
    }

    func testRoundTripsArbitraryUnicode() throws {
        let t = try Tokenizer(TokenizerByteLevelTests.vocabulary(preTokenizer: .smollm))
        for text in ["", " ", "\n\n\t", "héllo wörld 123", "你好，世界", "🇰🇪 👍🏽", "a\u{301}", "\r\n  x  ", "'s 'LL"] {
            let ids = t.encode(text)
            XCTAssertEqual(Array(try t.decode(ids).utf8), Array(text.utf8), text.debugDescription)
        }
        // Single bytes: every byte token decodes to its byte, so a split UTF-8 character survives in decodeBytes.
        XCTAssertEqual(try t.decodeBytes(TokenizerByteLevelTests.byteIds("é")), [0xC3, 0xA9])
        XCTAssertEqual(try t.tokenBytes(3 + 0xC3), [0xC3])
    }

    func testDecodeOutOfRangeNamesTheId() throws {
        let t = try Tokenizer(TokenizerByteLevelTests.vocabulary())
        XCTAssertThrowsError(try t.decode([3, 265])) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenIdOutOfRange(id: 265, vocabularySize: 265))
            XCTAssertEqual("\(error)", "token id 265 is outside the vocabulary 0..<265")
        }
    }

    func testBadVocabulariesAreRefused() {
        var v = TokenizerByteLevelTests.vocabulary()
        v.bosId = 1000
        v.source = "demo.gguf"
        XCTAssertThrowsError(try Tokenizer(v)) { error in
            XCTAssertTrue("\(error)".contains("demo.gguf") && "\(error)".contains("bos id") && "\(error)".contains("1000"), "\(error)")
        }
        var broken = TokenizerByteLevelTests.vocabulary()
        broken.merges = ["ll"]
        XCTAssertThrowsError(try Tokenizer(broken)) { error in
            XCTAssertTrue("\(error)".contains("merges[0]"), "\(error)")
        }
        var types = TokenizerByteLevelTests.vocabulary()
        types.tokenTypes = [3]
        XCTAssertThrowsError(try Tokenizer(types))
    }
}

extension TokenizerByteLevelTests {
    /// One tokenizer shared by threads (the word cache is locked) gives the same ids as serial use.
    func testConcurrentEncodingMatchesSerial() throws {
        let t = try Tokenizer(TokenizerByteLevelTests.vocabulary(preTokenizer: .smollm))
        let texts = (0..<64).map { "the hell \($0) hello<|im_end|> héllo wörld \($0 * 7919)" }
        let serial = texts.map { t.encode($0) }
        let fresh = try Tokenizer(TokenizerByteLevelTests.vocabulary(preTokenizer: .smollm))
        var results = [[Int]](repeating: [], count: texts.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: texts.count) { i in
            let ids = fresh.encode(texts[i])
            lock.lock(); results[i] = ids; lock.unlock()
        }
        XCTAssertEqual(results, serial)
    }

    func testLoadModelAtMissingPathNamesIt() {
        let url = URL(fileURLWithPath: "/nonexistent/model.gguf")
        XCTAssertThrowsError(try Tokenizer.load(modelAt: url)) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/model.gguf"), "\(error)")
        }
    }
}
