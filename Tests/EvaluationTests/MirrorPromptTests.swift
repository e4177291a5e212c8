import XCTest
import Evaluation

/// The first item of each benchmark, built from the real mirror, equals a string written out by hand.
final class MirrorPromptTests: XCTestCase {
    func prepare(_ name: String, variant: String? = nil, subsets: [String], limit: Int = 1, shots: Int? = nil) throws -> [PreparedItem] {
        let def = try BenchmarkRegistry.definition(name: name, variant: variant)
        let p = try ItemPreparation.prepare(def, options: EvaluationOptions(dataDirectory: try MirrorData.directory(),
                                                                            subsets: subsets, shots: shots, limit: limit))
        return subsets.flatMap { p.items[$0] ?? [] }
    }

    func mc(_ item: PreparedItem) throws -> (String, [String], Int) {
        guard case .multipleChoice(let c, let k, _, let g) = item.task else { throw XCTSkip("not multiple choice") }
        return (c, k, g)
    }

    func testMMLUAbstractAlgebraFirstQuestion() throws {
        let item = try prepare("mmlu", subsets: ["abstract_algebra"])[0]
        let (context, continuations, gold) = try mc(item)
        let header = "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
        let firstShot = "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n"
        let question = "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:"
        XCTAssertTrue(context.hasPrefix(header + firstShot))
        XCTAssertTrue(context.hasSuffix("\n\n" + question))
        XCTAssertEqual(context.components(separatedBy: "\nAnswer: ").count, 6, "five answered shots")
        XCTAssertEqual(continuations, [" A", " B", " C", " D"])
        XCTAssertEqual(gold, 1)
        XCTAssertEqual(item.promptId, "abstract_algebra/2")
        // --shots 0: description + question only.
        let zero = try mc(try prepare("mmlu", subsets: ["abstract_algebra"], shots: 0)[0]).0
        XCTAssertEqual(zero, header + question)
    }

    func testMMLUMathHasTheFiveSubjects() throws {
        let def = try BenchmarkRegistry.definition(name: "mmlu-math")
        XCTAssertEqual(def.subsets.map(\.name), ["abstract_algebra", "college_mathematics", "elementary_mathematics",
                                                 "high_school_mathematics", "high_school_statistics"])
        XCTAssertEqual(MMLUDefinitions.subjects.count, 57)
        XCTAssertEqual(MMLUDefinitions.mmlu.fewShot.defaultCount, 5)
    }

    static let booleanDescription = "Evaluate the result of a random Boolean expression.\n\n"
    static let booleanShotQuestions = ["Q: not ( ( not not True ) ) is\nA: ", "Q: True and False and not True and True is\nA: ",
                                       "Q: not not ( not ( False ) ) is\nA: "]

    func testBBHDirectPrompt() throws {
        let item = try prepare("bbh", variant: "direct", subsets: ["boolean_expressions"])[0]
        guard case .generation(let prompt, let target) = item.task else { return XCTFail() }
        let q = Self.booleanShotQuestions
        let expected = Self.booleanDescription + q[0] + "False\n\n" + q[1] + "False\n\n" + q[2] + "True\n\n"
            + "Q: not ( True ) and ( True ) is\nA:"
        XCTAssertEqual(prompt, expected)
        XCTAssertEqual(target, "False")
    }

    func testBBHCoTPrompt() throws {
        let item = try prepare("bbh", variant: "cot", subsets: ["boolean_expressions"])[0]
        guard case .generation(let prompt, _) = item.task else { return XCTFail() }
        XCTAssertTrue(prompt.hasPrefix(Self.booleanDescription + Self.booleanShotQuestions[0] + "Let's think step by step.\nRemember that (i)"))
        XCTAssertTrue(prompt.hasSuffix("= not not False = True. So the answer is True.\n\nQ: not ( True ) and ( True ) is\nA: Let's think step by step.\n"))
        XCTAssertEqual(prompt.components(separatedBy: "So the answer is").count, 4)
    }

    func testBBHSnarksDescriptionSpansTwoParagraphs() throws {
        let item = try prepare("bbh", variant: "direct", subsets: ["snarks"])[0]
        guard case .generation(let prompt, _) = item.task else { return XCTFail() }
        XCTAssertTrue(prompt.hasPrefix("Determine which of two sentences is sarcastic.\n\nAccording to Cambridge University Dictionary"))
        XCTAssertTrue(prompt.contains("witty remarks.\n\nQ: Which statement is sarcastic?\nOptions:\n(A) Yes, because having interests and actively researching them is a huge waste\n(B) Yes, because having interests and actively researching them is a huge deal\nA: (A)\n\nQ: "))
    }

    func testBBHInstructEvalPromptSkipsTheShotItems() throws {
        let item = try prepare("bbh", variant: "instruct-eval", subsets: ["boolean_expressions"])[0]
        guard case .generation(let prompt, let target) = item.task else { return XCTFail() }
        XCTAssertEqual(prompt, "not ( True ) and ( True ) is\nAnswer: False\n\nTrue and not not ( not False ) is\nAnswer: True\n\n"
                       + "not True or False or ( False ) is\nAnswer: False\n\nFalse or not ( True ) and False is\nAnswer:")
        XCTAssertEqual(target, "False")
        XCTAssertEqual(item.promptId, "boolean_expressions/3")
        let all = try prepare("bbh", variant: "instruct-eval", subsets: ["boolean_expressions"], limit: 10_000)
        XCTAssertEqual(all.count, 247)
    }

    func testXCOPAEstonianAndThai() throws {
        let (et, etChoices, etGold) = try mc(try prepare("xcopa", subsets: ["et"])[0])
        XCTAssertEqual(et, "Ese oli mullikilesse mässitud sest")
        XCTAssertEqual(etChoices, [" see oli õrn.", " see oli väike."])
        XCTAssertEqual(etGold, 0)
        // No final period in Thai: the last character is dropped anyway (lm-eval does it blindly).
        let (th, thChoices, _) = try mc(try prepare("xcopa", subsets: ["th"])[0])
        XCTAssertEqual(th, "สิ่งของถูกห่อไว้ในพลาสติ ดังนั้น")
        XCTAssertEqual(thChoices, [" มันบอบบาง", " มันเล็ก"])
        let (zh, _, _) = try mc(try prepare("xcopa", subsets: ["zh"])[0])
        XCTAssertEqual(zh, "该物品用气泡包装纸包着 因为")
        XCTAssertEqual(try prepare("xcopa", subsets: ["qu"], limit: 10_000).count, 500)
    }

    func testXStoryClozeEnglish() throws {
        let (context, choices, gold) = try mc(try prepare("xstorycloze", subsets: ["en"])[0])
        XCTAssertEqual(context, "I became a Law and Order fan in 2011. I was recovering from a stroke. When I got home I tried to watch every episode. It was hard trying to binge watch 20 Year's of a show.")
        XCTAssertEqual(choices, [" I think Law and Order is one of the worst shows ever made.", " Eventually I watched them all."])
        XCTAssertEqual(gold, 1)
    }

    func testXWinogradRowsFromTSV() throws {
        let en = try prepare("xwinograd", subsets: ["en"])[0]
        guard case .partialScoring(let contexts, let continuation, let gold) = en.task else { return XCTFail() }
        XCTAssertEqual(contexts, ["The city councilmen refused the demonstrators a permit because The city councilmen",
                                  "The city councilmen refused the demonstrators a permit because the demonstrators"])
        XCTAssertEqual(continuation, " feared violence.")
        XCTAssertEqual(gold, 0)
        let fr = try prepare("xwinograd", subsets: ["fr"])[0]
        guard case .partialScoring(let frContexts, let frCont, _) = fr.task else { return XCTFail() }
        XCTAssertEqual(frContexts[1], "La coupe n'entre pas dans la valise marron, car la valise")
        XCTAssertEqual(frCont, " est trop grande.")
        let jp = try prepare("xwinograd", subsets: ["jp"])[0]
        guard case .partialScoring(let jpContexts, let jpCont, let jpGold) = jp.task else { return XCTFail() }
        // "狙撃兵はテロリストを撃った。彼は悪漢だったからだ。" with 彼 blanked; no space is added before the option.
        XCTAssertEqual(jpContexts, ["狙撃兵はテロリストを撃った。狙撃兵", "狙撃兵はテロリストを撃った。テロリスト"])
        XCTAssertEqual(jpCont, " は悪漢だったからだ。")
        XCTAssertEqual(jpGold, 1)
        let def = try BenchmarkRegistry.definition(name: "xwinograd")
        let all = try ItemPreparation.prepare(def, options: EvaluationOptions(dataDirectory: try MirrorData.directory()))
        XCTAssertEqual(MultilingualDefinitions.xwinogradLanguages.map { all.items[$0]?.count ?? 0 }, [2325, 83, 959, 263, 315, 16])
    }

    func testEXAMSItalian() throws {
        let (context, choices, gold) = try mc(try prepare("exams", subsets: ["it"])[0])
        XCTAssertEqual(context, "Q: Quale dei seguenti nucleotidi si appaia all’adenina durante la trascrizione?\nA:")
        XCTAssertEqual(choices, [" la guanina", " l’uracile", " la timina", " la citosina"])
        XCTAssertEqual(gold, 1)
    }

    func testEXAMSSkipsUnscorableRowsAndSaysSo() throws {
        let def = try BenchmarkRegistry.definition(name: "exams")
        let p = try ItemPreparation.prepare(def, options: EvaluationOptions(dataDirectory: try MirrorData.directory()))
        XCTAssertEqual(p.skippedRows.count, 3)
        XCTAssertEqual(p.totalItems + p.skippedRows.count, 13_510)
        XCTAssertEqual(p.skippedRows.map(\.line), [5861, 5862, 7190])
    }
}
