import XCTest
import Evaluation

final class ScoringTests: XCTestCase {
    func testArgmaxTakesFirstIndexOnTies() {
        XCTAssertEqual(ChoiceScoring.argmaxFirst([-1, -0.5, -0.5, -2]), 1)
        XCTAssertEqual(ChoiceScoring.argmaxFirst([-3, -3]), 0)
        XCTAssertEqual(ChoiceScoring.argmaxFirst([.nan, -1]), 1)
    }

    func testAccNormDividesByChoiceLengthInCodePoints() {
        // raw: -6 > -8 picks 0; per char: -6/2 = -3 < -8/4 = -2 picks 1.
        XCTAssertEqual(ChoiceScoring.accPick([-6, -8]), 0)
        XCTAssertEqual(ChoiceScoring.accNormPick([-6, -8], choiceTexts: ["ab", "abcd"]), 1)
        // Thai "กิ" counts two code points like Python's len.
        XCTAssertEqual(ChoiceScoring.accNormPick([-2.2, -1.5], choiceTexts: ["กิ", "a"]), 0)
    }

    func sample(_ subset: String, _ correct: Bool, norm: Bool? = nil) -> SampleRecord {
        SampleRecord(benchmark: "t", variant: nil, subset: subset, promptId: "\(subset)/x", gold: 0, target: nil,
                     choiceLoglikelihoods: nil, choiceIsGreedy: nil, pred: nil, predNorm: nil, generated: nil,
                     extractedAnswer: nil, correct: correct, correctNorm: norm)
    }

    func testMicroAveragesItemsMacroAveragesSubsets() {
        // a: 1/1 correct, b: 1/3 correct → micro 2/4, macro (1 + 1/3)/2.
        let s = [sample("a", true, norm: false), sample("b", true, norm: true), sample("b", false, norm: true), sample("b", false, norm: false)]
        let r = Aggregation.aggregate(s, order: ["a", "b", "c"], withNorm: true)
        XCTAssertEqual(r.n, 4)
        XCTAssertEqual(r.micro, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.macro, (1 + 1.0 / 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(r.normMicro!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.normMacro!, (0 + 2.0 / 3) / 2, accuracy: 1e-12)
        XCTAssertEqual(r.perSubset["b"]?.n, 3)
        XCTAssertNil(r.perSubset["c"], "an empty subset is left out of both averages")
    }
}
