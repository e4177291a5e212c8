import XCTest
import Evaluation

final class AnswerMatchingTests: XCTestCase {
    func testOptionLettersComeFromTheLastParenthesizedLetter() {
        XCTAssertTrue(BBHAnswerMatcher.matches(" (B)", target: "(B)"))
        XCTAssertTrue(BBHAnswerMatcher.matches("Not (A) but (C)", target: "(C)"))
        XCTAssertFalse(BBHAnswerMatcher.matches("(C) then (A)", target: "(C)"))
        XCTAssertFalse(BBHAnswerMatcher.matches("B", target: "(B)"))
        XCTAssertFalse(BBHAnswerMatcher.matches("(b)", target: "(B)"))
        XCTAssertEqual(BBHAnswerMatcher.extract("so (D).", target: "(A)"), "(D)")
    }

    func testNumbersCompareNumerically() {
        XCTAssertTrue(BBHAnswerMatcher.matches("24", target: "24"))
        XCTAssertTrue(BBHAnswerMatcher.matches(" 24.0", target: "24"))
        XCTAssertTrue(BBHAnswerMatcher.matches("-219", target: "-219"))
        XCTAssertFalse(BBHAnswerMatcher.matches("219", target: "-219"))
        XCTAssertTrue(BBHAnswerMatcher.matches("1,024", target: "1024"))
        XCTAssertTrue(BBHAnswerMatcher.matches("I count 3 then 8", target: "8"))
        XCTAssertFalse(BBHAnswerMatcher.matches("eight", target: "8"))
        XCTAssertEqual(BBHAnswerMatcher.kind(of: "-40"), .number)
    }

    func testTextIsCaseFoldedExactMatch() {
        XCTAssertTrue(BBHAnswerMatcher.matches(" true", target: "True"))
        XCTAssertTrue(BBHAnswerMatcher.matches("Valid", target: "valid"))
        XCTAssertFalse(BBHAnswerMatcher.matches("invalid", target: "valid"))
        XCTAssertFalse(BBHAnswerMatcher.matches("Yes, because", target: "Yes"))
        XCTAssertTrue(BBHAnswerMatcher.matches("] ) }", target: "] ) }"))
        XCTAssertEqual(BBHAnswerMatcher.kind(of: "True"), .text)
    }

    func testCoTAnswerPhraseExtraction() {
        // lm-eval regex (?<=the answer is )(.*)(?=.): up to the line's last character, exclusive.
        XCTAssertEqual(AnswerExtractor.answerIsPhrase("A = True. So the answer is (B).\nQ"), "(B)")
        XCTAssertEqual(AnswerExtractor.answerIsPhrase("so the answer is 24."), "24")
        XCTAssertNil(AnswerExtractor.answerIsPhrase("I think it is (B)."))
        let s = AnswerExtractor.score(generation: "Step... So the answer is (B).", target: "(B)", rule: .bbhAnswerIsPhrase)
        XCTAssertEqual(s.extracted, "(B)"); XCTAssertTrue(s.correct)
        XCTAssertFalse(AnswerExtractor.score(generation: "no phrase (B)", target: "(B)", rule: .bbhAnswerIsPhrase).correct)
    }

    func testInstructEvalPrefixRule() {
        XCTAssertTrue(AnswerExtractor.score(generation: " False\n\nnot True is", target: "False", rule: .instructEvalPrefix).correct)
        XCTAssertFalse(AnswerExtractor.score(generation: "false", target: "False", rule: .instructEvalPrefix).correct)
    }

    func testCutAtFirstStopSequence() {
        XCTAssertEqual(Evaluator.cutAtStop(" (A)\n\nQ: next", stops: BBHDefinitions.lmEvalStopSequences), " (A)")
        XCTAssertEqual(Evaluator.cutAtStop("abc", stops: []), "abc")
    }
}
