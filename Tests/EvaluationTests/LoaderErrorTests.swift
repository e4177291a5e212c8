import struct Data.DataDirectory
import XCTest
import Evaluation

/// Damaged files produce errors that name the file, the line and the field.
final class LoaderErrorTests: XCTestCase {
    static let mmluHeader = "question,choice0,choice1,choice2,choice3,answer\n"

    func testMMLUBadAnswerReportsLineAndField() throws {
        let text = Self.mmluHeader + "q1,a,b,c,d,0\n\"multi\nline q\",a,b,c,d,1\nq3,a,b,c,d,E\n"
        assertEvaluationError(try MMLULoader.parse(text, file: "x_test.csv"), mentions: ["x_test.csv", "line 5", "'answer'", "'E'"])
        let ok = try MMLULoader.parse(Self.mmluHeader + "q1,a,b,c,d,0\n\"multi\nline q\",\"a, with comma\",\"say \"\"hi\"\"\",c,d,1\n", file: "f")
        XCTAssertEqual(ok.count, 2)
        XCTAssertEqual(ok[1].question, "multi\nline q")
        XCTAssertEqual(ok[1].choices, ["a, with comma", "say \"hi\"", "c", "d"])
        XCTAssertEqual(ok[1].line, 3)
    }

    func testMMLUStructuralErrors() {
        assertEvaluationError(try MMLULoader.parse("q,a,b\n", file: "f.csv"), mentions: ["f.csv", "line 1", "header"])
        assertEvaluationError(try MMLULoader.parse(Self.mmluHeader + "q1,a,b,c,0\n", file: "f.csv"), mentions: ["line 2", "5 fields"])
        assertEvaluationError(try MMLULoader.parse(Self.mmluHeader + "q1,a,b,c,d,0\n\"open,a,b,c,d,1\n", file: "f.csv"),
                              mentions: ["line 3", "not closed"])
    }

    func testJSONLinesBadLineNumberInLargeFile() throws {
        let good = #"{"premise": "P.", "choice1": "A.", "choice2": "B.", "question": "cause", "label": 0}"#
        var lines = Array(repeating: good, count: 1000)
        lines[736] = #"{"premise": "P.", "choice1": "A.", "choice2": "B.", "question": "cause", "label": 0"#
        assertEvaluationError(try XCOPALoader.parse(lines.joined(separator: "\n"), file: "test.xx.jsonl"),
                              mentions: ["test.xx.jsonl", "line 737", "not valid JSON"])
        lines[736] = #"{"premise": "P.", "choice1": "A.", "question": "cause", "label": 0}"#
        assertEvaluationError(try XCOPALoader.parse(lines.joined(separator: "\n"), file: "t.jsonl"), mentions: ["line 737", "'choice2'", "missing"])
        lines[736] = #"{"premise": "P.", "choice1": "A.", "choice2": "B.", "question": "because", "label": 0}"#
        assertEvaluationError(try XCOPALoader.parse(lines.joined(separator: "\n"), file: "t.jsonl"), mentions: ["line 737", "'question'"])
        lines[736] = good
        XCTAssertEqual(try XCOPALoader.parse(lines.joined(separator: "\n") + "\n", file: "t").count, 1000)
    }

    func testStoryClozeAndEXAMSFieldErrors() {
        let row = #"{"story_id": "s", "input_sentence_1": "a", "input_sentence_2": "b", "input_sentence_3": "c", "input_sentence_4": "d", "sentence_quiz1": "e", "sentence_quiz2": "f", "answer_right_ending": 3}"#
        assertEvaluationError(try StoryClozeLoader.parse(row, file: "en_eval.jsonl"), mentions: ["en_eval.jsonl", "line 1", "'answer_right_ending'"])
        let exams = #"{"id": "1", "question": {"stem": "s", "choices": [{"text": "t", "label": "A"}, {"label": "B"}]}, "answerKey": "A", "info": {"language": "Polish"}}"#
        assertEvaluationError(try EXAMSLoader.parse("\n" + exams, file: "test.jsonl", language: nil), mentions: ["line 2", "choices[1]", "'text'"])
    }

    func testXWinogradErrors() {
        assertEvaluationError(try XWinogradLoader.parse("en\toriginal\t?\tsentence\n", file: "dataset.tsv", language: nil),
                              mentions: ["dataset.tsv", "line 1", "4 tab-separated columns"])
        let badCandidates = "en\to\t?\tA b c.\t[\"A\", \"b\", \"c\", \".\"]\t[\"b\", [1, 2], [\"b\"]]\t[[\"A\", [0, 1], [\"A\"], true], [\"c\", [2, 3], [\"c\"], true]]"
        assertEvaluationError(try XWinogradLoader.parse("\n" + badCandidates, file: "d.tsv", language: nil), mentions: ["line 2", "'candidates'", "exactly one"])
        let good = "en\to\t?\tA b c.\t[\"A\", \"b\", \"c\", \".\"]\t[\"b\", [1, 2], [\"b\"]]\t[[\"A\", [0, 1], [\"A\"], false], [\"c\", [2, 3], [\"c\"], true]]"
        XCTAssertEqual(try XWinogradLoader.parse(good, file: "d", language: "en"),
                       [WinogradRow(sentence: "A _ c.", option1: "A", option2: "c", answer: 1, line: 1)])
        XCTAssertEqual(try XWinogradLoader.parse(good, file: "d", language: "fr"), [])
    }

    func testBBHFileErrors() throws {
        assertEvaluationError(try BBHLoader.parseTask(#"{"examples": [{"input": "x", "target": "y"}, {"input": "z"}]}"#, file: "task.json"),
                              mentions: ["task.json", "examples[1]", "'target'"])
        assertEvaluationError(try BBHCoTPrompt(text: "canary\n-----\nDescription only.", file: "p.txt"), mentions: ["p.txt", "description"])
        assertEvaluationError(try BBHCoTPrompt(text: "c\n-----\nD.\n\nQ: x\nA: no marker here", file: "p.txt"), mentions: ["exemplar 1"])
        let p = try BBHCoTPrompt(text: "c\n-----\nD.\n\nQ: x\nA: Let's think step by step.\nBecause. So the answer is (B).", file: "p.txt")
        XCTAssertEqual(p.answerOnlyExemplars(), ["Q: x\nA: (B)"])
    }

    func testMissingFilesAndDirectories() throws {
        let tmp = try TempDataDirectory()
        assertEvaluationError(try MMLULoader.load("mmlu/test/none_test.csv", in: tmp.data), mentions: ["none_test.csv", "not found"])
        assertEvaluationError(try DataDirectory.resolve(explicit: tmp.url.appendingPathComponent("absent").path).existing(), mentions: ["absent", "METALORA_DATA"])
        XCTAssertEqual(try DataDirectory.resolve(explicit: nil, environment: ["METALORA_DATA": tmp.url.path]).existing().root.standardizedFileURL.path,
                       tmp.url.standardizedFileURL.path)
    }

    func testUnknownNamesListTheValidOnes() throws {
        assertEvaluationError(try BenchmarkRegistry.definition(name: "mmlu-pro"), mentions: ["mmlu-pro", "mmlu-math", "xwinograd"])
        assertEvaluationError(try BenchmarkRegistry.definition(name: "bbh", variant: "zero"), mentions: ["zero", "direct", "cot", "instruct-eval"])
        assertEvaluationError(try BenchmarkRegistry.definition(name: "xcopa", variant: "cot"), mentions: ["xcopa", "cot"])
        let tmp = try TempDataDirectory()
        let xcopa = try BenchmarkRegistry.definition(name: "xcopa")
        assertEvaluationError(try ItemPreparation.prepare(xcopa, options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["en"])),
                              mentions: ["'en'", "et, ht, id, it, qu, sw, ta, th, tr, vi, zh"])
        assertEvaluationError(try ItemPreparation.prepare(xcopa, options: EvaluationOptions(dataDirectory: tmp.data, shots: 5)),
                              mentions: ["zero-shot", "5"])
        assertEvaluationError(try ItemPreparation.prepare(xcopa, options: EvaluationOptions(dataDirectory: tmp.data, limit: 0)),
                              mentions: ["--limit"])
    }

    func testTooManyShots() throws {
        let tmp = try TempDataDirectory()
        try tmp.write("mmlu/dev/anatomy_dev.csv", Self.mmluHeader + "d1,a,b,c,d,0\nd2,a,b,c,d,1\n")
        try tmp.write("mmlu/test/anatomy_test.csv", Self.mmluHeader + "t1,a,b,c,d,0\n")
        let mmlu = try BenchmarkRegistry.definition(name: "mmlu")
        assertEvaluationError(try ItemPreparation.prepare(mmlu, options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["anatomy"])),
                              mentions: ["anatomy", "5 few-shot", "only 2", "anatomy_dev.csv"])
        XCTAssertEqual(try ItemPreparation.prepare(mmlu, options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["anatomy"], shots: 2)).totalItems, 1)
        try tmp.write("bbh/tasks/navigate.json", #"{"examples": [{"input": "a", "target": "Yes"}, {"input": "b", "target": "No"}]}"#)
        let ie = try BenchmarkRegistry.definition(name: "bbh", variant: "instruct-eval")
        assertEvaluationError(try ItemPreparation.prepare(ie, options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["navigate"])),
                              mentions: ["navigate", "3 few-shot", "only 1"])
    }
}
