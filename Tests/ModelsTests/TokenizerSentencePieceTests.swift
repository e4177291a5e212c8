import XCTest
import Models

/// SentencePiece BPE (LLaMA-2 style) on a hand-built vocabulary; expected ids derived by hand.
final class TokenizerSentencePieceTests: XCTestCase {
    /// 0 <unk>, 1 <s>, 2 </s>, 3 + b = <0xXX>, then single characters (score -100) and merged
    /// pieces whose scores set the merge order:
    /// 267 he -1, 268 ll -2, 269 llo -3, 270 ▁he -4, 271 ▁hello -5, 272 or -6, 273 ▁w -7, 274 ld -8, 275 ▁wor -9.
    static func vocabulary() -> TokenizerVocabulary {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [Int32] = [2, 3, 3]
        var scores: [Float] = [0, 0, 0]
        for b in 0...255 {
            let hex = String(b, radix: 16, uppercase: true)
            tokens.append("<0x" + (hex.count == 1 ? "0" : "") + hex + ">")
            types.append(6)
            scores.append(0)
        }
        for c in ["▁", "h", "e", "l", "o", "w", "r", "d"] {  // 259...266
            tokens.append(c); types.append(1); scores.append(-100)
        }
        let merged: [(String, Float)] = [("he", -1), ("ll", -2), ("llo", -3), ("▁he", -4), ("▁hello", -5),
                                         ("or", -6), ("▁w", -7), ("ld", -8), ("▁wor", -9)]
        for (piece, score) in merged { tokens.append(piece); types.append(1); scores.append(score) }
        return TokenizerVocabulary(tokens: tokens, scores: scores, tokenTypes: types, model: .llama,
                                   bosId: 1, eosId: 2, unknownId: 0, addBOS: false)
    }

    /// "▁hello▁world": he, ll, llo, ▁he, ▁hello, or, ▁w, ld, ▁wor merge in score order; "▁wor"+"ld"
    /// is no piece, so → [▁hello, ▁wor, ld].
    static let helloWorld = [271, 275, 274]

    func testMergesFollowScoresNotPosition() throws {
        let t = try Tokenizer(TokenizerSentencePieceTests.vocabulary())
        XCTAssertEqual(t.encode("hello world"), TokenizerSentencePieceTests.helloWorld)
        XCTAssertEqual(try t.decode(TokenizerSentencePieceTests.helloWorld), "hello world")
        // "▁hello\nworld": "\n" is no piece → <0x0A>; "world" without "▁": w, or, ld.
        XCTAssertEqual(t.encode("hello\nworld"), [271, 3 + 0x0A, 264, 272, 274])
        XCTAssertEqual(try t.decode([271, 3 + 0x0A, 264, 272, 274]), "hello\nworld")
    }

    func testEqualScoresMergeLeftmostFirst() throws {
        let t = try Tokenizer(TokenizerSentencePieceTests.vocabulary())
        // "▁lll": both "ll" pairs score -2; the left one merges → [▁, ll, l].
        XCTAssertEqual(t.encode("lll"), [259, 268, 262])
    }

    func testByteFallbackForUnknownCharacters() throws {
        let t = try Tokenizer(TokenizerSentencePieceTests.vocabulary())
        // "é" is no piece: its UTF-8 bytes C3 A9 become <0xC3> <0xA9>, and it blocks "▁he".
        XCTAssertEqual(t.encode("héllo"), [259, 260, 3 + 0xC3, 3 + 0xA9, 269])
        XCTAssertEqual(try t.decode([259, 260, 3 + 0xC3, 3 + 0xA9, 269]), "héllo")
        XCTAssertEqual(try t.decode(t.encode("日本 wow")), "日本 wow")
    }

    func testDummyPrefixAndSpecialTokens() throws {
        let t = try Tokenizer(TokenizerSentencePieceTests.vocabulary())
        // A real leading space survives: "▁▁hello" → [▁, ▁hello] → " hello".
        XCTAssertEqual(t.encode(" hello"), [259, 271])
        XCTAssertEqual(try t.decode([259, 271]), " hello")
        // Text after a special token gets the dummy prefix again (llama.cpp), and decode drops it.
        XCTAssertEqual(t.encode("<s>hello</s>"), [1, 271, 2])
        XCTAssertEqual(try t.decode([1, 271, 2]), "<s>hello</s>")
        XCTAssertEqual(try t.decode([1, 271, 2], skipSpecial: true), "hello")
        XCTAssertEqual(t.encode(""), [])
        var v = TokenizerSentencePieceTests.vocabulary()
        v.addBOS = true
        XCTAssertEqual(try Tokenizer(v).encode("hello"), [1, 271])
        XCTAssertEqual(try Tokenizer(v).encode("hello", addSpecial: false), [271])
    }

    func testUnknownIdWithoutByteTokens() throws {
        let v = TokenizerVocabulary(tokens: ["<unk>", "<s>", "</s>", "▁", "a"], scores: [0, 0, 0, -1, -1],
                                    tokenTypes: [2, 3, 3, 1, 1], model: .llama, bosId: 1, eosId: 2, unknownId: 0)
        let t = try Tokenizer(v)
        XCTAssertEqual(t.encode("ab"), [3, 4, 0])
    }

    func testMissingScoresAreReported() {
        var v = TokenizerSentencePieceTests.vocabulary()
        v.scores = nil
        v.source = "llama2.gguf"
        XCTAssertThrowsError(try Tokenizer(v)) { error in
            XCTAssertTrue("\(error)".contains("llama2.gguf") && "\(error)".contains("scores"), "\(error)")
        }
    }
}
