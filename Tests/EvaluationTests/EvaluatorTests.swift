import struct Data.DataDirectory
import XCTest
import Evaluation

/// End-to-end runs on small hand-written data with a scripted backend.
final class EvaluatorTests: XCTestCase {
    static let header = "question,choice0,choice1,choice2,choice3,answer\n"

    /// Two subjects; each test question names the letter the backend will prefer ("pick X"),
    /// "tie" makes all four log-likelihoods equal (first index wins).
    func makeMMLU() throws -> TempDataDirectory {
        let tmp = try TempDataDirectory()
        let dev = Self.header + (1...5).map { "dev \($0),a,b,c,d,\($0 % 4)" }.joined(separator: "\n") + "\n"
        try tmp.write("mmlu/dev/anatomy_dev.csv", dev)
        try tmp.write("mmlu/dev/virology_dev.csv", dev)
        // anatomy: correct, wrong, tie (gold 0 → correct), correct  → 3/4
        try tmp.write("mmlu/test/anatomy_test.csv", Self.header
            + "pick B,a,b,c,d,1\npick C,a,b,c,d,3\ntie,a,b,c,d,0\npick D,a,b,c,d,3\n")
        // virology: wrong → 0/1
        try tmp.write("mmlu/test/virology_test.csv", Self.header + "pick A,a,b,c,d,2\n")
        return tmp
    }

    func scriptedMMLUBackend() -> ScriptedBackend {
        ScriptedBackend(loglikelihood: { req in
            let question = req.context.components(separatedBy: "\n\n").last!
            if question.hasPrefix("tie") { return -1.25 }
            let wanted = question.components(separatedBy: "\n")[0].replacingOccurrences(of: "pick ", with: "")
            return req.continuation == " " + wanted ? -0.5 : -2
        })
    }

    final class RecordingProgress: EvaluationProgress {
        var updates: [(String, Int, Int)] = []
        var finished: Int?
        func update(subset: String, itemsDone: Int, itemsTotal: Int) { updates.append((subset, itemsDone, itemsTotal)) }
        func finish(itemsTotal: Int) { finished = itemsTotal }
    }

    func testMMLUScoresMicroAndMacroWithTies() throws {
        let tmp = try makeMMLU()
        var def = try BenchmarkRegistry.definition(name: "mmlu")
        def.subsets = def.subsets.filter { ["anatomy", "virology"].contains($0.name) }
        let backend = scriptedMMLUBackend()
        let progress = RecordingProgress()
        let report = try Evaluator.run(def, backend: backend, options: EvaluationOptions(dataDirectory: tmp.data, itemsPerBatch: 3, progress: progress))
        XCTAssertEqual(report.n, 5)
        XCTAssertEqual(report.subsets["anatomy"]?.acc, 0.75)
        XCTAssertEqual(report.subsets["virology"]?.acc, 0)
        XCTAssertEqual(report.accMicro, 3.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(report.accMacro, 0.375, accuracy: 1e-12)
        XCTAssertEqual(report.acc, report.accMicro, "MMLU's headline is the mean over questions")
        XCTAssertEqual(report.subsetOrder, ["anatomy", "virology"])
        XCTAssertFalse(report.partial, "all subsets of this definition, default shots, no limit")
        XCTAssertEqual(report.settings.shots, 5)
        // Four requests per question, all sharing the question's context, in batches of ≤ 3 items.
        XCTAssertEqual(backend.loglikelihoodRequests.count, 20)
        XCTAssertEqual(backend.loglikelihoodCalls, 3)
        XCTAssertEqual(Set(backend.loglikelihoodRequests.prefix(4).map(\.context)).count, 1)
        XCTAssertTrue(backend.loglikelihoodRequests[0].context.hasSuffix("dev 5\nA. a\nB. b\nC. c\nD. d\nAnswer: B\n\npick B\nA. a\nB. b\nC. c\nD. d\nAnswer:"))
        // The tie picks index 0.
        let tie = report.samples.first { $0.promptId == "anatomy/4" }!
        XCTAssertEqual(tie.pred, 0); XCTAssertTrue(tie.correct)
        XCTAssertEqual(tie.choiceLoglikelihoods, [-1.25, -1.25, -1.25, -1.25])
        // Progress: monotone, per subset, ends at the total.
        XCTAssertEqual(progress.updates.last?.1, 5)
        XCTAssertEqual(progress.finished, 5)
        XCTAssertEqual(progress.updates.map(\.1), progress.updates.map(\.1).sorted())
    }

    func testLimitTakesFirstItemsPerSubsetAndIsRecorded() throws {
        let tmp = try makeMMLU()
        let def = try BenchmarkRegistry.definition(name: "mmlu")
        let report = try Evaluator.run(def, backend: scriptedMMLUBackend(),
                                       options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["virology", "anatomy"], limit: 2))
        XCTAssertEqual(report.subsets["anatomy"]?.n, 2)
        XCTAssertEqual(report.subsets["virology"]?.n, 1)
        XCTAssertEqual(report.samples.map(\.promptId), ["anatomy/2", "anatomy/3", "virology/2"], "definition order, file order")
        XCTAssertEqual(report.settings.limit, 2)
        XCTAssertTrue(report.partial)
        XCTAssertTrue(report.partialReasons.contains { $0.contains("--limit 2") })
        XCTAssertTrue(report.partialReasons.contains { $0.contains("only 2 of 57 subsets") })
    }

    func testJSONSummaryAndSampleLines() throws {
        let tmp = try makeMMLU()
        let report = try Evaluator.run(try BenchmarkRegistry.definition(name: "mmlu"), backend: scriptedMMLUBackend(),
                                       options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["anatomy"]))
        let json = try JSONSerialization.jsonObject(with: report.jsonData()) as! [String: Any]
        XCTAssertEqual(json["benchmark"] as? String, "mmlu")
        XCTAssertEqual(json["n"] as? Int, 4)
        XCTAssertEqual(json["acc"] as? Double, 0.75)
        let subsets = json["subsets"] as! [String: [String: Any]]
        XCTAssertEqual(subsets["anatomy"]?["n"] as? Int, 4)
        XCTAssertEqual(subsets["anatomy"]?["acc"] as? Double, 0.75)
        XCTAssertEqual((json["settings"] as? [String: Any])?["shots"] as? Int, 5)
        XCTAssertEqual(json["partial"] as? Bool, true)
        // Round trip (samples are not part of the summary).
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: report.jsonData())
        XCTAssertEqual(decoded.subsets, report.subsets)
        XCTAssertEqual(decoded.settings, report.settings)

        let lines = String(decoding: LMEvalSampleLog.jsonLines(report.samples), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["metalora_item_id"] as? String, "anatomy/2")
        XCTAssertEqual(first["doc_id"] as? Int, 0)
        XCTAssertEqual((first["arguments"] as? [String: Any])?.count, 4)
        XCTAssertEqual((first["resps"] as? [[[String]]])?.count, 4)
        XCTAssertEqual(first["acc"] as? Double, 1)
        XCTAssertEqual(first["target"] as? String, "1")

        let table = ReportTable.render(report)
        for fragment in ["mmlu", "anatomy", "micro", "macro", "5-shot", "75.00", "partial:"] {
            XCTAssertTrue(table.contains(fragment), "table lacks \(fragment):\n\(table)")
        }
    }

    func testAccNormAndMacroHeadlineOnXCOPA() throws {
        let tmp = try TempDataDirectory()
        // Long correct choice: raw loglik loses (-6 < -4) but per character wins (-6/12 > -4/3).
        try tmp.write("xcopa/et/test.et.jsonl",
                      #"{"premise": "Ese kukkus.", "choice1": "Pikk ja õige.", "choice2": "Lühike.", "question": "effect", "label": 0}"# + "\n")
        try tmp.write("xcopa/it/test.it.jsonl",
                      #"{"premise": "X.", "choice1": "A.", "choice2": "B.", "question": "cause", "label": 1}"# + "\n"
                      + #"{"premise": "Y.", "choice1": "A.", "choice2": "B.", "question": "cause", "label": 0}"# + "\n")
        let backend = ScriptedBackend(loglikelihood: { req in
            switch req.continuation {
            case " pikk ja õige.": return -6
            case " lühike.": return -4
            case " a.": return -1
            default: return -3
            }
        })
        let report = try Evaluator.run(try BenchmarkRegistry.definition(name: "xcopa"), backend: backend,
                                       options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["et", "it"]))
        XCTAssertEqual(backend.loglikelihoodRequests[0], LoglikelihoodRequest(context: "Ese kukkus seetõttu", continuation: " pikk ja õige."))
        XCTAssertEqual(backend.loglikelihoodRequests[2].context, "X perché")
        XCTAssertEqual(report.subsets["et"]?.acc, 0)
        XCTAssertEqual(report.subsets["et"]?.accNorm, 1)
        XCTAssertEqual(report.subsets["it"]?.acc, 0.5)
        XCTAssertEqual(report.accMacro, 0.25, accuracy: 1e-12)
        XCTAssertEqual(report.accMicro, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(report.acc, report.accMacro, "multilingual headline is the mean over languages")
        XCTAssertEqual(report.accNorm!, (1 + 0.5) / 2, accuracy: 1e-12)
    }

    func testWinogradPartialScoringComparesContexts() throws {
        let tmp = try TempDataDirectory()
        let row = "zh\to\t?\tA b c.\t[\"A\", \"b\", \"c\", \".\"]\t[\"b\", [1, 2], [\"b\"]]\t[[\"A\", [0, 1], [\"A\"], false], [\"c\", [2, 3], [\"c\"], true]]"
        try tmp.write("xwinograd/dataset.tsv", row + "\n")
        let backend = ScriptedBackend(loglikelihood: { $0.context.hasSuffix("c") ? -1 : -2 })
        let report = try Evaluator.run(try BenchmarkRegistry.definition(name: "xwinograd"), backend: backend,
                                       options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["zh"]))
        XCTAssertEqual(backend.loglikelihoodRequests, [LoglikelihoodRequest(context: "A A", continuation: " c."),
                                                       LoglikelihoodRequest(context: "A c", continuation: " c.")])
        XCTAssertEqual(report.acc, 1)
        XCTAssertTrue(report.partialReasons.contains { $0.hasPrefix("zh: ") && $0.contains("16") }, "\(report.partialReasons)")
        // lm-eval's xwinograd: doc_to_target is the text after the blank, without the delimiter.
        let sample = try XCTUnwrap(report.samples.first)
        XCTAssertEqual(sample.lmEvalTarget, "c.")
        XCTAssertEqual(sample.doc.dumps(), #"{"sentence": "A _ c.", "option1": "A", "option2": "c", "answer": "2"}"#)
        XCTAssertEqual(sample.arguments, [[.string("A A"), .string(" c.")], [.string("A c"), .string(" c.")]])
    }

    func makeBBH() throws -> TempDataDirectory {
        let tmp = try TempDataDirectory()
        try tmp.write("bbh/cot-prompts/date_understanding.txt", "canary\n-----\nInfer the date.\n\n"
            + (1...3).map { "Q: s\($0)\nA: Let's think step by step.\nReason \($0). So the answer is (\(["A", "B", "C"][$0 - 1]))." }.joined(separator: "\n\n"))
        try tmp.write("bbh/tasks/date_understanding.json",
                      #"{"examples": [{"input": "q0", "target": "(B)"}, {"input": "q1", "target": "(A)"}, {"input": "q2", "target": "(C)"}, {"input": "q3", "target": "(D)"}, {"input": "q4", "target": "(B)"}]}"#)
        try tmp.write("bbh/cot-prompts/object_counting.txt", "canary\n-----\nCount.\n\n"
            + (1...3).map { "Q: c\($0)\nA: Let's think step by step.\nSo the answer is \($0 + 5)." }.joined(separator: "\n\n"))
        try tmp.write("bbh/tasks/object_counting.json", #"{"examples": [{"input": "n0", "target": "8"}, {"input": "n1", "target": "12"}]}"#)
        return tmp
    }

    func testBBHDirectGenerationScoring() throws {
        let tmp = try makeBBH()
        let answers = ["q0": " (B)\n\nQ: rambling", "q1": " (C)", "q2": " I pick (A) no wait (C)", "q3": "", "q4": " (b)",
                       "n0": " 8", "n1": " 11"]
        let backend = ScriptedBackend(generation: { req in answers[String(req.prompt.split(separator: "\n").dropLast().last!.dropFirst(3))]! })
        let report = try Evaluator.run(try BenchmarkRegistry.definition(name: "bbh"), backend: backend,
                                       options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["date_understanding", "object_counting"]))
        XCTAssertEqual(backend.generationRequests[0].prompt, "Infer the date.\n\nQ: s1\nA: (A)\n\nQ: s2\nA: (B)\n\nQ: s3\nA: (C)\n\nQ: q0\nA:")
        XCTAssertEqual(backend.generationRequests[0].stopSequences, ["</s>", "Q", "\n\n"])
        XCTAssertEqual(report.subsets["date_understanding"]?.correct, 2)   // q0 (cut at stop), q2 (last option)
        XCTAssertEqual(report.subsets["object_counting"]?.correct, 1)
        XCTAssertEqual(report.metric, "exact_match")
        XCTAssertEqual(report.variant, "direct")
        XCTAssertEqual(report.acc, 3.0 / 7, accuracy: 1e-12)
        let q0 = report.samples[0]
        XCTAssertEqual(q0.generated, " (B)"); XCTAssertEqual(q0.extractedAnswer, "(B)"); XCTAssertTrue(q0.correct)
    }

    func testBBHCoTAndInstructEvalVariants() throws {
        let tmp = try makeBBH()
        let cot = ScriptedBackend(generation: { _ in "Thinking. So the answer is (B)." })
        let cotReport = try Evaluator.run(try BenchmarkRegistry.definition(name: "bbh", variant: "cot"), backend: cot,
                                          options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["date_understanding"]))
        XCTAssertEqual(cotReport.subsets["date_understanding"]?.correct, 2)
        XCTAssertTrue(cot.generationRequests[0].prompt.hasSuffix("So the answer is (C).\n\nQ: q0\nA: Let's think step by step.\n"))
        XCTAssertEqual(cot.generationRequests[0].maxNewTokens, 1024)

        let ie = ScriptedBackend(generation: { _ in " (D) because" })
        let ieReport = try Evaluator.run(try BenchmarkRegistry.definition(name: "bbh", variant: "instruct-eval"), backend: ie,
                                         options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["date_understanding"]))
        XCTAssertEqual(ieReport.n, 2, "the first three items are shots")
        XCTAssertEqual(ieReport.samples.map(\.promptId), ["date_understanding/3", "date_understanding/4"])
        XCTAssertEqual(ieReport.subsets["date_understanding"]?.correct, 1)
        XCTAssertEqual(ie.generationRequests[0].prompt, "q0\nAnswer: (B)\n\nq1\nAnswer: (A)\n\nq2\nAnswer: (C)\n\nq3\nAnswer:")
        XCTAssertEqual(ie.generationRequests[0].maxNewTokens, 32)
        XCTAssertEqual(ie.generationRequests[0].stopSequences, [])
    }

    func testBackendReturningWrongCountIsAnError() throws {
        final class ShortBackend: EvaluationBackend {
            func loglikelihoods(_ r: [LoglikelihoodRequest], progress: (Int) -> Void) throws -> [LoglikelihoodResult] { [] }
            func generate(_ r: [GenerationRequest], progress: (Int) -> Void) throws -> [String] { [] }
            var description: String { "short" }
        }
        let tmp = try makeMMLU()
        assertEvaluationError(try Evaluator.run(try BenchmarkRegistry.definition(name: "mmlu"), backend: ShortBackend(),
                                                options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["virology"])),
                              mentions: ["0 results for 4 requests"])
    }

    func testProgressLineShowsRateAndETA() {
        let line = StderrProgressPrinter.line(label: "mmlu", subset: "anatomy", done: 50, total: 150, elapsed: 25)
        XCTAssertEqual(line, "mmlu anatomy 50/150 items, 2.00 items/s, ETA 0m50s")
        let withTokens = StderrProgressPrinter.line(label: "mmlu", subset: "anatomy", done: 50, total: 150, elapsed: 25, tokens: 15_000)
        XCTAssertEqual(withTokens, "mmlu anatomy 50/150 items, 2.00 items/s, 600 tokens/s, ETA 0m50s")
        // Microseconds after the start there is no meaningful rate yet.
        XCTAssertEqual(StderrProgressPrinter.line(label: "mmlu", subset: "anatomy", done: 3, total: 150, elapsed: 2e-6, tokens: 900),
                       "mmlu anatomy 3/150 items, ETA ?")
    }

    func testProgressInALogFileHasNoCarriageReturns() {
        var written = ""
        let log = StderrProgressPrinter(label: "mmlu", terminal: false) { written += $0 }
        for i in 1...50 { log.update(subset: "anatomy", itemsDone: i, itemsTotal: 50, tokensDone: i * 10) }
        log.finish(itemsTotal: 50)
        XCTAssertFalse(written.contains("\r") || written.contains("\u{1B}"), written.debugDescription)
        XCTAssertEqual(written.split(separator: "\n").count, 2, "one line at the start, one at the end: \(written)")
        var screen = ""
        let terminal = StderrProgressPrinter(label: "mmlu", terminal: true) { screen += $0 }
        terminal.update(subset: "anatomy", itemsDone: 1, itemsTotal: 50)
        XCTAssertTrue(screen.hasPrefix("\r"), screen.debugDescription)
    }
}
