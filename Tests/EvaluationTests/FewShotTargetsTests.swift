import XCTest
import Evaluation
import TestSupport

/// LoRAHub's per-subset target examples come from each benchmark's few-shot source, in its own
/// template with the gold answer, and never from scored items; the evaluator calls back before
/// each subset so the model can be switched per subset.
final class FewShotTargetsTests: XCTestCase {
    func testMMLUUsesTheSubjectsDevRows() throws {
        let data = try MirrorData.directory()
        let def = MMLUDefinitions.mmlu
        let targets = try FewShotTargets.examples(def, subset: "anatomy", shots: 5, count: 5, data: data)
        let dev = try MMLULoader.load("mmlu/dev/anatomy_dev.csv", in: data)
        XCTAssertEqual(targets.count, 5)
        for (t, row) in zip(targets, dev) {
            XCTAssertEqual(t.id, "anatomy/dev:\(row.line)")
            // The zero-shot MMLU prompt of the dev row, answered with its letter.
            XCTAssertEqual(t.context, MMLUPrompt.context(subject: "anatomy", shots: [], row: row))
            XCTAssertTrue(t.context.hasPrefix("The following are multiple choice questions (with answers) about anatomy.\n\n"))
            XCTAssertTrue(t.context.hasSuffix("\nAnswer:"))
            XCTAssertEqual(t.answer, " " + MMLUPrompt.letters[row.answer])
        }
        XCTAssertEqual(try FewShotTargets.examples(def, subset: "anatomy", shots: 5, count: 2, data: data).count, 2)
    }

    func testBBHDirectAndCoTUseTheCotPromptExemplars() throws {
        let data = try MirrorData.directory()
        let prompt = try BBHLoader.loadPrompt("bbh/cot-prompts/navigate.txt", in: data)
        let direct = try FewShotTargets.examples(BBHDefinitions.direct, subset: "navigate", shots: 3, count: 5, data: data)
        XCTAssertEqual(direct.count, 3, "a cot-prompt file holds 3 exemplars")
        XCTAssertEqual(direct[0].id, "navigate/cot-prompt:1")
        // Exactly the prompt a scored item gets with zero shots, for the exemplar's question.
        let input = "If you follow these instructions, do you return to the starting point? Turn left. Turn around. Turn left. Take 7 steps. Take 2 steps. Take 4 steps. Take 8 steps.\nOptions:\n- Yes\n- No"
        XCTAssertEqual(direct[0].context, BBHPrompt.direct(prompt: prompt, shots: 0, input: input))
        XCTAssertEqual(direct[0].answer, " No")

        let cot = try FewShotTargets.examples(BBHDefinitions.cot, subset: "navigate", shots: 3, count: 5, data: data)
        XCTAssertEqual(cot[0].context, BBHPrompt.chainOfThought(prompt: prompt, shots: 0, input: input))
        XCTAssertTrue(cot[0].answer.hasPrefix("We start at the origin (0, 0)"), cot[0].answer)
        XCTAssertTrue(cot[0].answer.hasSuffix("So the answer is No."), cot[0].answer)
    }

    /// instruct-eval scores the items after the first `shots`: exactly those leading items are targets.
    func testBBHInstructEvalUsesTheUnscoredLeadingItems() throws {
        let data = try MirrorData.directory()
        let def = BBHDefinitions.instructEval
        let targets = try FewShotTargets.examples(def, subset: "navigate", shots: 3, count: 5, data: data)
        XCTAssertEqual(targets.map(\.id), ["navigate/0", "navigate/1", "navigate/2"])
        let first = try BBHLoader.loadTask("bbh/tasks/navigate.json", in: data)[0]
        XCTAssertEqual(targets[0].context, first.input + "\nAnswer:")
        XCTAssertEqual(targets[0].answer, " " + first.target)
        let scored = try ItemPreparation.prepare(def, options: EvaluationOptions(dataDirectory: data, subsets: ["navigate"], shots: 3))
        XCTAssertTrue(Set(scored.items["navigate"]!.map(\.promptId)).isDisjoint(with: targets.map(\.id)))
        XCTAssertEqual(try FewShotTargets.examples(def, subset: "navigate", shots: 0, count: 5, data: data), [])
    }

    func testZeroShotBenchmarksHaveNoTargets() throws {
        let data = try MirrorData.directory()
        XCTAssertThrowsError(try FewShotTargets.examples(MultilingualDefinitions.xcopa, subset: "et", shots: 0, count: 5, data: data)) {
            XCTAssertTrue("\($0)".contains("declares no few-shot source"), "\($0)")
        }
        XCTAssertThrowsError(try FewShotTargets.examples(MMLUDefinitions.mmlu, subset: "klingon", shots: 5, count: 5, data: data))
    }

    /// `beforeSubset` runs before each subset's requests, in subset order.
    func testBeforeSubsetPrecedesEachSubsetsRequests() throws {
        let data = try MirrorData.directory()
        let backend = ScriptedBackend()
        var calls: [(subset: String, requestsSoFar: Int)] = []
        var options = EvaluationOptions(dataDirectory: data, shots: 0, limit: 2)
        options.beforeSubset = { calls.append(($0, backend.loglikelihoodRequests.count)) }
        _ = try Evaluator.run(MMLUDefinitions.mmluMath, backend: backend, options: options)
        XCTAssertEqual(calls.map(\.subset), MMLUDefinitions.mathSubjects)
        let bounds = calls.map(\.requestsSoFar) + [backend.loglikelihoodRequests.count]
        for (i, subject) in MMLUDefinitions.mathSubjects.enumerated() {
            let requests = backend.loglikelihoodRequests[bounds[i]..<bounds[i + 1]]
            XCTAssertEqual(requests.count, 2 * 4, subject)
            XCTAssertTrue(requests.allSatisfy { $0.context.contains("about \(subject.replacingOccurrences(of: "_", with: " "))") }, subject)
        }
    }
}
