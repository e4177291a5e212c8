import Foundation
import XCTest
import Models
import TestSupport

/// SmolLM2's tokenizer read from the GGUF must reproduce the reference ids of every fixture string.
final class TokenizerFixtureTests: XCTestCase {
    static var cached: Tokenizer?

    func smolLM2() throws -> Tokenizer {
        if let t = TokenizerFixtureTests.cached { return t }
        let t = try Tokenizer.fromGGUF(url: Fixtures.smolLM2())
        TokenizerFixtureTests.cached = t
        return t
    }

    func testLoadModelAtFindsTheGGUFTokenizer() throws {
        let t = try Tokenizer.load(modelAt: Fixtures.smolLM2())
        XCTAssertEqual(t.encode("Hello world"), [19556, 905])
    }

    func testVocabularyMetadata() throws {
        let t = try smolLM2()
        XCTAssertEqual(t.vocabularySize, 49152)
        XCTAssertEqual(t.vocabulary.model, .gpt2)
        XCTAssertEqual(t.vocabulary.preTokenizer, .smollm)
        XCTAssertEqual(t.bosId, 1)
        XCTAssertEqual(t.eosId, 2)
        XCTAssertFalse(t.addsBOS)
        XCTAssertEqual(t.tokenString(1), "<|im_start|>")
        XCTAssertEqual(t.tokenId("<|im_end|>"), 2)
        XCTAssertTrue(t.isSpecial(0))
        XCTAssertFalse(t.isSpecial(504))
    }

    func testEveryFixtureStringEncodesAndDecodesExactly() throws {
        let t = try smolLM2()
        guard let entries = try Fixtures.json("smollm2/tokenization.json") as? [[String: Any]] else {
            return XCTFail("smollm2/tokenization.json is not a list of objects")
        }
        XCTAssertFalse(entries.isEmpty)
        var exact = 0
        for (i, entry) in entries.enumerated() {
            guard let text = entry["text"] as? String, let ids = entry["ids"] as? [Int] else {
                return XCTFail("entry \(i) lacks text/ids")
            }
            let got = t.encode(text, addSpecial: false)
            XCTAssertEqual(got, ids, "entry \(i) \(text.debugDescription)")
            if got == ids { exact += 1 }
            if let pieces = entry["pieces"] as? [String] {
                XCTAssertEqual(ids.map { t.tokenString($0) ?? "?" }, pieces, "entry \(i) pieces")
            }
            XCTAssertEqual(Array(try t.decode(ids).utf8), Array(text.utf8), "decode, entry \(i)")
            XCTAssertEqual(Array(try t.decode(got).utf8), Array(text.utf8), "round trip, entry \(i)")
            // With addSpecial the result is the same: SmolLM2 adds no BOS.
            XCTAssertEqual(t.encode(text), got)
        }
        print("SmolLM2 tokenization fixture: \(exact)/\(entries.count) strings exact")
    }

    func testPromptFixtureIds() throws {
        let t = try smolLM2()
        guard let root = try Fixtures.json("smollm2/prompts.json") as? [String: Any],
              let prompts = root["prompts"] as? [String: [String: Any]] else { return XCTFail("prompts.json layout") }
        var all = Array(prompts.values)
        if let paragraph = root["paragraph"] as? [String: Any] { all.append(paragraph) }
        for p in all {
            guard let text = p["text"] as? String, let ids = p["ids"] as? [Int] else { continue }
            XCTAssertEqual(t.encode(text, addSpecial: false), ids, text.debugDescription)
            XCTAssertEqual(try t.decode(ids), text)
        }
    }

    func testChatTemplateFromGGUF() throws {
        let t = try smolLM2()
        guard let format = t.chatFormat else { return XCTFail("SmolLM2's ChatML template was not recognised") }
        XCTAssertEqual(format, .chatML(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let prompt = format.format([ChatFormat.Message(role: "system", content: "You are a helpful assistant.")])
        // The same text is a fixture entry, so its ids are known.
        XCTAssertEqual(prompt, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>assistant\n")
        let ids = t.encode(prompt, addSpecial: false)
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.filter { $0 == 2 }.count, 1)
        let user = format.format([(role: "user", content: "hi")], addGenerationPrompt: false)
        XCTAssertEqual(user, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n")
    }

    func testSpecialTokensOnlyWhenParsingSpecial() throws {
        let t = try smolLM2()
        XCTAssertEqual(t.encode("a<|im_end|>b", addSpecial: false).count, 3)
        let spelled = t.encode("a<|im_end|>b", addSpecial: false, parseSpecial: false)
        XCTAssertFalse(spelled.contains(2))
        XCTAssertEqual(try t.decode(spelled), "a<|im_end|>b")
        XCTAssertEqual(try t.decode([1, 4093, 2], skipSpecial: true), try t.decode([4093]))
    }

    func testDecodeRejectsOutOfRangeIds() throws {
        let t = try smolLM2()
        XCTAssertThrowsError(try t.decode([504, 49152])) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenIdOutOfRange(id: 49152, vocabularySize: 49152))
            XCTAssertTrue("\(error)".contains("49152"))
        }
        XCTAssertThrowsError(try t.decode([-1]))
        XCTAssertNil(t.tokenString(-1))
    }
}

extension TokenizerFixtureTests {
    /// mc-scoring requests: the context alone and the joint context+continuation tokenization
    /// (split where the context's own ids end, as lm-eval does) must reproduce the stored ids.
    func testMultipleChoiceRequestIds() throws {
        let t = try smolLM2()
        guard let root = try Fixtures.json("mc-scoring/items.json") as? [String: Any],
              let items = root["items"] as? [[String: Any]] else { return XCTFail("mc-scoring/items.json layout") }
        var checked = 0
        for (i, item) in items.enumerated() {
            for (j, request) in ((item["requests"] as? [[String: Any]]) ?? []).enumerated() {
                guard let pair = request["after_encode_pair"] as? [String: String],
                      let context = pair["context"], let continuation = pair["continuation"],
                      let contextIds = request["context_ids"] as? [Int],
                      let continuationIds = request["continuation_ids"] as? [Int] else { continue }
                let whole = t.encode(context + continuation, addSpecial: false)
                let contextLength = t.encode(context, addSpecial: false).count
                XCTAssertEqual(Array(whole[..<contextLength]), contextIds, "item \(i) request \(j) context")
                XCTAssertEqual(Array(whole[contextLength...]), continuationIds, "item \(i) request \(j) continuation")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }
}
