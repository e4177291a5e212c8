import XCTest
import Evaluation
import TestSupport

final class EncodePairTests: XCTestCase {
    /// Every request of mc-scoring/items.json: our split reproduces the stored post-_encode_pair strings.
    func testSplitMatchesFixtureAfterEncodePair() throws {
        guard let root = try Fixtures.json("mc-scoring/items.json") as? [String: Any],
              let items = root["items"] as? [[String: Any]] else { return XCTFail("unexpected items.json layout") }
        var checked = 0
        for item in items {
            for req in item["requests"] as? [[String: Any]] ?? [] {
                let raw = req["request"] as! [String: String]
                let after = req["after_encode_pair"] as! [String: String]
                let (c, k) = EncodePair.split(context: raw["context"]!, continuation: raw["continuation"]!)
                XCTAssertEqual(c, after["context"]); XCTAssertEqual(k, after["continuation"])
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testSplitMovesAllTrailingWhitespace() {
        XCTAssertTrue(EncodePair.split(context: "Answer: \n\t", continuation: "x") == ("Answer:", " \n\tx"))
        XCTAssertTrue(EncodePair.split(context: "Answer:", continuation: " A") == ("Answer:", " A"))
        XCTAssertTrue(EncodePair.split(context: "   ", continuation: "x") == ("", "   x"))
        // U+3000 (ideographic space) is whitespace for Python's str.rstrip too.
        XCTAssertTrue(EncodePair.split(context: "答\u{3000}", continuation: "x") == ("答", "\u{3000}x"))
    }

    /// A toy greedy tokenizer whose vocabulary merges "Answer: " across the context/continuation
    /// boundary: the continuation ids are tok(context + continuation)[len(tok(context)):], which
    /// differs from tok(continuation) — and the model is fed tok(context) + those ids.
    func testTokenIdsFollowJointTokenizationSplit() throws {
        // Greedy longest match over a tiny vocabulary.
        let vocab = ["Answer:": 1, "Answer: ": 2, " A": 3, "A": 4, " ": 5, "B": 6, "x": 7]
        func tok(_ s: String) -> [Int] {
            var out: [Int] = []; var rest = Substring(s)
            while !rest.isEmpty {
                let match = vocab.keys.filter { rest.hasPrefix($0) }.max { $0.count < $1.count }!
                out.append(vocab[match]!); rest = rest.dropFirst(match.count)
            }
            return out
        }
        // Context with a trailing space: it moves to the continuation first.
        let r = try EncodePair.tokenize(context: "Answer: ", continuation: "A", prefixTokenId: nil, tokenizer: tok)
        XCTAssertEqual(r.contextIds, [1])
        // tok("Answer: A") = [2, 4] ("Answer: " is longest), so continuation = whole[1:] = [4], not tok(" A") = [3].
        XCTAssertEqual(r.continuationIds, [4])
        let plain = try EncodePair.tokenize(context: "B", continuation: "x", prefixTokenId: nil, tokenizer: tok)
        XCTAssertEqual(plain.contextIds, [6]); XCTAssertEqual(plain.continuationIds, [7])
    }

    func testEmptyContextUsesPrefixToken() throws {
        let r = try EncodePair.tokenize(context: "", continuation: "ab", prefixTokenId: 0) { $0.unicodeScalars.map { Int($0.value) } }
        XCTAssertEqual(r.contextIds, [0]); XCTAssertEqual(r.continuationIds, [97, 98])
        assertEvaluationError(try EncodePair.tokenize(context: "", continuation: "ab", prefixTokenId: nil) { _ in [] },
                              mentions: ["prefix"])
    }

    func testPythonStringHelpersWorkOnCodePoints() {
        XCTAssertEqual(PythonString.strip("  a b \n"), "a b")
        // "กิ" is one grapheme but two code points; Python's s[:-1] keeps the first.
        XCTAssertEqual(PythonString.dropLast("กิ"), "ก")
        XCTAssertEqual(PythonString.length("กิ"), 2)
        XCTAssertEqual(PythonString.lowercaseFirst("Alikuwa"), "alikuwa")
        XCTAssertEqual(PythonString.lowercaseFirst("它很易碎。"), "它很易碎。")
        XCTAssertEqual(PythonString.dropLast(""), "")
    }
}

final class RequestGroupingTests: XCTestCase {
    func testConsecutiveRequestsWithTheSameContextFormOneGroup() {
        let reqs = [LoglikelihoodRequest(context: "Q1 ", continuation: "A"), LoglikelihoodRequest(context: "Q1 ", continuation: "B"),
                    LoglikelihoodRequest(context: "Q2", continuation: " A"), LoglikelihoodRequest(context: "Q1", continuation: " C")]
        let groups = RequestGrouping.consecutiveByContext(reqs)
        XCTAssertEqual(groups.map(\.context), ["Q1", "Q2", "Q1"])
        XCTAssertEqual(groups[0].continuations, [" A", " B"])
        XCTAssertEqual(groups[0].indices, [0, 1])
        XCTAssertEqual(groups[2].indices, [3])
    }
}
