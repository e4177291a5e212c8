import Foundation
import XCTest
import Models
import TestSupport

/// SmolLM2's tokenizer against an independent reference: Python's `regex` module running the
/// pre-tokenizer patterns plus textbook GPT-2 BPE over the GGUF's merges (written for this check,
/// not derived from the Swift code). Pinned here: the ids of a string full of edge cases under
/// all three pre-tokenizers, and the count and FNV-1a hash of the ids of all MMLU test CSVs.
final class TokenizerReferenceTests: XCTestCase {
    static let trickyText = "Hello\r\n\r\n  World's 'S 'LL I'M  \t\n x\u{A0}y \u{3000}z  \n\n  123456789 \u{663}\u{664} \u{2160}\u{2161} \u{BD} ? !!\n\ntab\tsep\t\t end   \n  mixed \r\n line\r\rcr  'vE  'Re don't'll \"quoted\"  ...\n\n\n\t\t\n x emoji \u{1F600}\u{1F44D}\u{1F3FD}  \u{928}\u{92E}\u{938}\u{94D}\u{924}\u{947} \u{926}\u{941}\u{928}\u{93F}\u{92F}\u{93E}  \u{200D} zwj \u{200B} zero width  a\u{301} combining  \u{FB01}  \u{B}\u{C} vt ff\n"
    static let trickyIds = [19556, 18682, 216, 2260, 506, 637, 67, 637, 16421, 339, 23, 61, 256, 197, 198, 1792, 15442, 105, 216, 12109, 218, 106, 256, 39892, 33, 34, 35, 36, 37, 38, 39, 40, 41, 216, 164, 113, 164, 114, 216, 173, 223, 250, 173, 223, 111, 216, 16738, 9148, 5728, 17, 198, 198, 15999, 197, 29070, 1656, 1112, 333, 3805, 6468, 216, 2738, 1761, 201, 201, 11170, 216, 637, 102, 53, 216, 637, 3733, 1326, 982, 3060, 476, 385, 5036, 18, 216, 4563, 1116, 3558, 198, 1792, 649, 33777, 40303, 218, 10813, 235, 231, 10813, 233, 138, 216, 12335, 118, 35090, 38770, 16525, 26293, 30581, 12335, 116, 42990, 30658, 27011, 32932, 18075, 216, 459, 231, 1892, 103, 90, 459, 229, 6708, 8068, 216, 253, 151, 219, 9301, 216, 40367, 256, 199, 200, 386, 100, 38337, 198]
    static let trickyIdsGPT2 = [19556, 18682, 216, 2260, 506, 637, 67, 637, 16421, 339, 23, 61, 256, 197, 198, 1792, 15442, 105, 216, 12109, 218, 106, 256, 8866, 216, 33, 34, 35, 36, 37, 38, 39, 40, 41, 16936, 113, 164, 114, 4636, 223, 250, 173, 223, 111, 3351, 138, 9148, 5728, 17, 198, 198, 15999, 197, 29070, 1656, 1112, 333, 3805, 6468, 216, 2738, 1761, 201, 201, 11170, 216, 637, 102, 53, 216, 637, 3733, 1326, 982, 3060, 476, 385, 5036, 18, 216, 4563, 1116, 3558, 198, 1792, 649, 33777, 40303, 218, 10813, 235, 231, 10813, 233, 138, 216, 12335, 118, 35090, 38770, 16525, 26293, 30581, 12335, 116, 42990, 30658, 27011, 32932, 18075, 216, 459, 231, 1892, 103, 90, 459, 229, 6708, 8068, 216, 253, 151, 219, 9301, 216, 40367, 256, 199, 200, 386, 100, 38337, 198]
    static let trickyIdsLlama3 = [19556, 18682, 216, 2260, 506, 637, 67, 637, 16421, 339, 23, 61, 256, 197, 198, 1792, 15442, 105, 216, 12109, 218, 106, 256, 1116, 216, 216, 33, 34, 35, 36, 37, 38, 39, 40, 41, 216, 164, 113, 164, 114, 216, 173, 223, 250, 173, 223, 111, 216, 16738, 9148, 5728, 17, 1116, 15999, 197, 29070, 1656, 1112, 333, 198, 216, 6468, 216, 2738, 1761, 201, 201, 11170, 216, 637, 102, 53, 216, 637, 3733, 1326, 982, 3060, 476, 385, 5036, 18, 216, 4563, 16506, 1656, 198, 1792, 649, 33777, 40303, 218, 10813, 235, 231, 10813, 233, 138, 216, 12335, 118, 35090, 38770, 16525, 26293, 30581, 12335, 116, 42990, 30658, 27011, 32932, 18075, 216, 459, 231, 1892, 103, 90, 459, 229, 6708, 8068, 216, 253, 151, 219, 9301, 216, 40367, 256, 199, 200, 386, 100, 38337, 198]

    /// All 57 MMLU test CSVs (sorted by path, each one text): 1,419,062 ids, FNV-1a-64 over the
    /// ids (`h = (h ^ id) &* 0x100000001b3`) = 0xb8766fd57227c079.
    static let mmluTokenCount = 1_419_062
    static let mmluIdHash: UInt64 = 0xb876_6fd5_7227_c079

    func testTrickyTextUnderEveryPreTokenizer() throws {
        let base = try TokenizerVocabulary(gguf: GGUFFile(url: Fixtures.smolLM2()))
        let expected: [PreTokenizerKind: [Int]] = [.smollm: Self.trickyIds, .gpt2: Self.trickyIdsGPT2, .llamaBPE: Self.trickyIdsLlama3]
        for (kind, ids) in expected {
            var v = base
            v.preTokenizer = kind
            v.ignoreMerges = kind == .llamaBPE
            let t = try Tokenizer(v)
            XCTAssertEqual(t.encode(Self.trickyText, addSpecial: false), ids, "\(kind)")
            XCTAssertEqual(Array(try t.decode(ids).utf8), Array(Self.trickyText.utf8), "\(kind)")
        }
    }

    /// Pre-tokens far longer than words (4000 pseudo-random letters, a 1600-character punctuation
    /// run, 1000 spaces, 500 digits) take the heap merge path; reference: 3078 ids, FNV-1a
    /// 0x87ce3ca65ebe1d71 under each pre-tokenizer (SmolLM2 has no multi-digit tokens).
    func testLongPreTokensMatchTheReference() throws {
        var x: UInt64 = 42
        let letters = Array("etaoinshrdlucmfwypvbgk")
        var word = ""
        for _ in 0..<4000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            word.append(letters[Int((x >> 33) % 22)])
        }
        let text = word + " " + String(repeating: "=", count: 600) + String(repeating: "-=", count: 300)
            + String(repeating: "!?", count: 100) + String(repeating: " ", count: 1000) + "x "
            + String(repeating: "1234567890", count: 50)
        let base = try TokenizerVocabulary(gguf: GGUFFile(url: Fixtures.smolLM2()))
        for kind in PreTokenizerKind.allCases {
            var v = base
            v.preTokenizer = kind
            v.ignoreMerges = kind == .llamaBPE
            let ids = try Tokenizer(v).encodeIds(text, addSpecial: false)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for id in ids { hash = (hash ^ UInt64(UInt32(id))) &* 0x100_0000_01b3 }
            XCTAssertEqual(ids.count, 3078, "\(kind)")
            XCTAssertEqual(hash, 0x87ce_3ca6_5ebe_1d71, "\(kind)")
        }
    }

    func testAllOfMMLUMatchesTheReferenceHash() throws {
        let dataDirectory = Fixtures.packageRoot.appendingPathComponent("../shared/data/mmlu/test").standardizedFileURL
        let files = ((try? FileManager.default.contentsOfDirectory(at: dataDirectory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "csv" }.sorted { $0.path < $1.path }
        guard files.count == 57 else { throw XCTSkip("expected the 57 MMLU test CSVs in \(dataDirectory.path), found \(files.count)") }
        let t = try Tokenizer.fromGGUF(url: Fixtures.smolLM2())
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0
        for file in files {
            for id in t.encodeIds(try String(contentsOf: file, encoding: .utf8), addSpecial: false) {
                hash = (hash ^ UInt64(UInt32(id))) &* 0x100_0000_01b3
                count += 1
            }
        }
        XCTAssertEqual(count, Self.mmluTokenCount)
        XCTAssertEqual(hash, Self.mmluIdHash, String(format: "hash %016llx", hash))
    }
}
