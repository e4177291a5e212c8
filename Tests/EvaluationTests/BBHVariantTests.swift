import XCTest
import Evaluation

/// The BBH protocols of the sources the paper quotes: OpenCompass (HydraLoRA) and R-LoRA's
/// data_bbh evaluation (the starred rows of Table 1), as their code applies them.
final class BBHVariantTests: XCTestCase {
    func testEveryVariantIsDeclaredWithItsSource() throws {
        XCTAssertEqual(BBHDefinitions.variants, ["direct", "cot", "instruct-eval", "opencompass", "rlora"])
        for variant in BBHDefinitions.variants {
            let def = try BBHDefinitions.definition(variant: variant)
            XCTAssertNotNil(def.source, variant)
            XCTAssertTrue((0...1).contains(def.chance), variant)
            XCTAssertEqual(def.subsets.count, 27, variant)
        }
        let rlora = try BBHDefinitions.definition(variant: "rlora")
        XCTAssertEqual(rlora.scoring, .generateUntil(stopSequences: [], maxNewTokens: 256))
        XCTAssertEqual(rlora.requiredData.map(\.path), ["bbh/lorahub-data_bbh"])
        let openCompass = try BBHDefinitions.definition(variant: "opencompass")
        XCTAssertEqual(openCompass.scoring, .generateUntil(stopSequences: [], maxNewTokens: 512))
    }

    func testOpenCompassPromptAndPostprocessing() throws {
        let prompt = try BBHCoTPrompt(text: "canary\n-----\nSay it.\n\nQ: one?\nA: Let's think step by step.\nSo the answer is (A).\n\nQ: two?\nA: Let's think step by step.\nSo the answer is (B).",
                                      file: "t.txt")
        XCTAssertEqual(BBHPrompt.openCompass(prompt: prompt, shots: 2, input: "three?"),
                       "Follow the given examples and answer the question.\nSay it.\n\nQ: one?\nA: Let's think step by step.\nSo the answer is (A).\n\n"
                       + "Q: two?\nA: Let's think step by step.\nSo the answer is (B).\n\nQ: three?\nA: Let's think step by step.")
        // bbh_mcq_postprocess: the first "(X" after "answer is ", both sides.
        XCTAssertTrue(OpenCompassBBH.score(generation: " It flies. So the answer is (C).", target: "(C)").correct)
        XCTAssertEqual(OpenCompassBBH.multipleChoice("So the answer is B, not (C)"), "C")   // "(X" first, as re.search does
        XCTAssertFalse(OpenCompassBBH.score(generation: "So the answer is (A).", target: "(C)").correct)
        // bbh_freeform_postprocess: first line, one trailing ".", **bold**; case-sensitive.
        XCTAssertEqual(OpenCompassBBH.freeForm("We count. So the answer is **12**.\nQ: next"), "12")
        XCTAssertTrue(OpenCompassBBH.score(generation: "So the answer is Yes.", target: "Yes").correct)
        XCTAssertFalse(OpenCompassBBH.score(generation: "So the answer is yes.", target: "Yes").correct)
    }

    func testRLoRAPromptAndAccuracyScore() {
        XCTAssertEqual(BBHPrompt.rlora(context: "Q: 1+1?\nA: 2\n\nQ: 2+2?\nA:"),
                       "I will give you three examples, please answer the last question based on them.\nquestion: 1+1?\nAnswer: 2\n\nquestion: 2+2?\nAnswer:")
        XCTAssertEqual(BBHPrompt.rloraTarget(completion: " 4"), " 4")
        // Numbers: the first number of the last answer.
        XCTAssertTrue(RLoRABBH.score(generation: " 4 apples\nquestion: 3+3?\nAnswer: 6", target: "6").correct)
        XCTAssertFalse(RLoRABBH.score(generation: " 5", target: "4").correct)
        // Options: the last "(X)", else the last lone capital; a bare digit maps 1 → A.
        XCTAssertTrue(RLoRABBH.score(generation: " (A) or rather (B)", target: "(B)").correct)
        XCTAssertTrue(RLoRABBH.score(generation: " 2", target: "(B)").correct)
        // Text: lower-cased, dots removed.
        XCTAssertTrue(RLoRABBH.score(generation: " True.", target: "True").correct)
        XCTAssertFalse(RLoRABBH.score(generation: " not true", target: "True").correct)
    }
}
