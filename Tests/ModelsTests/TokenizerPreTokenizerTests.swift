import XCTest
import Models

/// The hand-written scanners against the regexes they implement. Expected pieces were produced by
/// Python's `regex` module running the exact patterns (for SmolLM: `\p{N}` split first, then the
/// GPT-2 pattern on the stretches between), on strings chosen for the edge cases: CRLF runs,
/// `\s+(?!\S)` backtracking, non-ASCII spaces and digits, combining marks, case-insensitive contractions.
final class TokenizerPreTokenizerTests: XCTestCase {
    /// (text, GPT-2 pieces, SmolLM pieces, LLaMA-3 pieces)
    static let cases: [(String, [String], [String], [String])] = [
        ("Hello\r\n\r\n  World's 'S 'LL I'M",
         ["Hello", "\r\n\r\n ", " World", "'s", " '", "S", " '", "LL", " I", "'", "M"],
         ["Hello", "\r\n\r\n ", " World", "'s", " '", "S", " '", "LL", " I", "'", "M"],
         ["Hello", "\r\n\r\n", " ", " World", "'s", " '", "S", " '", "LL", " I", "'M"]),
        ("a  \t\n x\u{A0}y \u{3000}z  ",
         ["a", "  \t\n", " x", "\u{A0}", "y", " ", "\u{3000}", "z", "  "],
         ["a", "  \t\n", " x", "\u{A0}", "y", " ", "\u{3000}", "z", "  "],
         ["a", "  \t\n", " x", "\u{A0}y", " ", "\u{3000}z", "  "]),
        ("x  1  22   333 4444 123456789",
         ["x", " ", " 1", " ", " 22", "  ", " 333", " 4444", " 123456789"],
         ["x", "  ", "1", "  ", "2", "2", "   ", "3", "3", "3", " ", "4", "4", "4", "4", " ", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
         ["x", " ", " ", "1", " ", " ", "22", "  ", " ", "333", " ", "444", "4", " ", "123", "456", "789"]),
        ("\u{663}\u{664} \u{2160}\u{2161} \u{BD}!!\n\n",
         ["\u{663}\u{664}", " \u{2160}\u{2161}", " \u{BD}", "!!", "\n\n"],
         ["\u{663}", "\u{664}", " ", "\u{2160}", "\u{2161}", " ", "\u{BD}", "!!", "\n\n"],
         ["\u{663}\u{664}", " ", "\u{2160}\u{2161}", " ", "\u{BD}", "!!\n\n"]),
        ("end   \n  mixed \r\n line\r\rcr",
         ["end", "   \n ", " mixed", " \r\n", " line", "\r", "\r", "cr"],
         ["end", "   \n ", " mixed", " \r\n", " line", "\r", "\r", "cr"],
         ["end", "   \n", " ", " mixed", " \r\n", " line", "\r\r", "cr"]),
        ("don't'll 'vE 'Re \"quoted\"  ...\n\n\n\t\t\n x",
         ["don", "'t", "'ll", " '", "vE", " '", "Re", " \"", "quoted", "\"", " ", " ...", "\n\n\n\t\t\n", " x"],
         ["don", "'t", "'ll", " '", "vE", " '", "Re", " \"", "quoted", "\"", " ", " ...", "\n\n\n\t\t\n", " x"],
         ["don", "'t", "'ll", " '", "vE", " '", "Re", " \"", "quoted", "\"", " ", " ...\n\n\n", "\t\t\n", " x"]),
        ("\u{928}\u{92E}\u{938}\u{94D}\u{924}\u{947} a\u{301} \u{FB01} \u{1F600}\u{1F44D}\u{1F3FD}",
         ["\u{928}\u{92E}\u{938}", "\u{94D}", "\u{924}", "\u{947}", " a", "\u{301}", " \u{FB01}", " \u{1F600}\u{1F44D}\u{1F3FD}"],
         ["\u{928}\u{92E}\u{938}", "\u{94D}", "\u{924}", "\u{947}", " a", "\u{301}", " \u{FB01}", " \u{1F600}\u{1F44D}\u{1F3FD}"],
         ["\u{928}\u{92E}\u{938}", "\u{94D}\u{924}", "\u{947}", " a", "\u{301}", " \u{FB01}", " \u{1F600}\u{1F44D}\u{1F3FD}"]),
        (" ?!  (x)\n",
         [" ?!", " ", " (", "x", ")", "\n"],
         [" ?!", " ", " (", "x", ")", "\n"],
         [" ?!", " ", " (", "x", ")\n"]),
    ]

    func testScannersMatchTheReferenceRegexes() {
        for (text, gpt2, smollm, llama3) in TokenizerPreTokenizerTests.cases {
            // Compare bytes: String equality is canonical equivalence, which would hide a split mark.
            let bytes: ([String]) -> [[UInt8]] = { $0.map { Array($0.utf8) } }
            XCTAssertEqual(bytes(PreTokenizerKind.gpt2.split(text)), bytes(gpt2), "gpt2 \(text.debugDescription)")
            XCTAssertEqual(bytes(PreTokenizerKind.smollm.split(text)), bytes(smollm), "smollm \(text.debugDescription)")
            XCTAssertEqual(bytes(PreTokenizerKind.llamaBPE.split(text)), bytes(llama3), "llama-bpe \(text.debugDescription)")
        }
    }

    func testWhitespaceRunGivesItsLastSpaceToTheNextWord() {
        XCTAssertEqual(PreTokenizerKind.gpt2.split("a   b"), ["a", "  ", " b"])
        XCTAssertEqual(PreTokenizerKind.gpt2.split("a   "), ["a", "   "])
        XCTAssertEqual(PreTokenizerKind.gpt2.split("a \nb"), ["a", " ", "\n", "b"])
    }

    func testSmolLMSplitsEveryDigit() {
        XCTAssertEqual(PreTokenizerKind.smollm.split("abc 2024!"), ["abc", " ", "2", "0", "2", "4", "!"])
        XCTAssertEqual(PreTokenizerKind.gpt2.split("abc 2024!"), ["abc", " 2024", "!"])
        XCTAssertEqual(PreTokenizerKind.llamaBPE.split("abc 2024!"), ["abc", " ", "202", "4", "!"])
    }

    func testContractions() {
        XCTAssertEqual(PreTokenizerKind.gpt2.split("I'LL we'll"), ["I", "'", "LL", " we", "'ll"])
        XCTAssertEqual(PreTokenizerKind.llamaBPE.split("I'LL we'll"), ["I", "'LL", " we", "'ll"])
    }

    func testEmptyText() {
        XCTAssertEqual(PreTokenizerKind.gpt2.split(""), [])
        XCTAssertEqual(PreTokenizerKind.smollm.split(""), [])
        XCTAssertEqual(PreTokenizerKind.llamaBPE.split(""), [])
    }
}
