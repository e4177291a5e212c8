import Foundation
import XCTest
import Data

/// Each five-task loader on the real mirror: the first example against values read from the
/// file here, independently of the loader, and the pool size against the data README.
final class FiveTaskLoaderTests: XCTestCase {
    func testGSM8KFirstExampleKeepsReasoningAndFinalAnswer() throws {
        let dir = try Mirror.directory()
        let pool = try FiveTaskCatalog.gsm8k.loadPool(from: dir)
        let raw = try Mirror.firstJSONLine(dir, "gsm8k/train.jsonl")
        XCTAssertEqual(pool.count, 7473)
        XCTAssertEqual(pool[0].id, "gsm8k:gsm8k/train.jsonl:1")
        XCTAssertEqual(pool[0].input, raw["question"] as? String)
        XCTAssertEqual(pool[0].output, raw["answer"] as? String)
        XCTAssertTrue(pool[0].output.hasSuffix("#### 72"))
        XCTAssertTrue(pool[0].output.contains("<<48/2=24>>"), "reasoning with calculator annotations is part of the target")
        XCTAssertEqual(pool[0].task, "gsm8k")
        XCTAssertEqual(pool[0].cluster, "five-task")
    }

    func testQQPFirstExampleIsAYesNoDuplicateQuestion() throws {
        let dir = try Mirror.directory()
        let pool = try FiveTaskCatalog.qqp.loadPool(from: dir)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.url("qqp/train.json"))) as! [String: [String: String]]
        let first = json["0"]!
        XCTAssertEqual(pool.count, 8999 + 1000)
        XCTAssertEqual(pool[0].id, "qqp:qqp/train.json:1")
        XCTAssertEqual(pool[0].input, "Question 1: \(first["text_a"]!)\nQuestion 2: \(first["text_b"]!)")
        XCTAssertEqual(pool[0].output, first["label"] == "1" ? "yes" : "no")
        XCTAssertEqual(Set(pool.map(\.output)), ["yes", "no"])
        XCTAssertEqual(pool[8999].id, "qqp:qqp/dev.json:1")
    }

    func testCosmosQAFirstExampleIsTheCorrectOptionText() throws {
        let dir = try Mirror.directory()
        let pool = try FiveTaskCatalog.cosmosQA.loadPool(from: dir)
        XCTAssertEqual(pool.count, 2985)
        // Row 1 of valid.csv: the question and its label-1 option, as written in the file.
        let secondLine = try String(contentsOf: dir.url("cosmosqa/valid.csv"), encoding: .utf8).replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")[1]
        XCTAssertTrue(secondLine.contains(",Why is this person asking about divorce ?,"))
        XCTAssertTrue(secondLine.hasSuffix(",He wants to get married to a different person .,He wants to know if he does nt like this girl can he divorce her ?,None of the above choices .,1"))
        XCTAssertEqual(pool[0].output, "He wants to get married to a different person .")
        XCTAssertTrue(pool[0].input.contains("Question: Why is this person asking about divorce ?"))
        XCTAssertTrue(pool[0].input.hasPrefix("Passage: Do i need to go for a legal divorce ?"))
        XCTAssertTrue(pool[0].input.contains("- None of the above choices ."))
        // A quoted context with commas must not shift the columns of any row.
        XCTAssertTrue(pool.allSatisfy { $0.input.contains("\nQuestion: ") && $0.input.contains("Options:\n- ") })
    }

    func testSocialIQAFirstExampleUsesTheLabelFile() throws {
        let dir = try Mirror.directory()
        let pool = try FiveTaskCatalog.socialIQA.loadPool(from: dir)
        let raw = try Mirror.firstJSONLine(dir, "siqa/train.jsonl")
        let label = Int(try Mirror.firstLine(dir, "siqa/train-labels.lst"))!
        XCTAssertEqual(pool.count, 33_410)
        let answer = raw[["answerA", "answerB", "answerC"][label - 1]] as? String
        XCTAssertEqual(pool[0].output, answer)
        XCTAssertTrue(pool[0].input.contains(raw["context"] as! String))
        XCTAssertTrue(pool[0].input.contains(raw["question"] as! String))
    }

    func testPIQAFirstExampleUsesTheLabelFile() throws {
        let dir = try Mirror.directory()
        let pool = try FiveTaskCatalog.physicalIQA.loadPool(from: dir)
        let raw = try Mirror.firstJSONLine(dir, "piqa/valid.jsonl")
        let label = Int(try Mirror.firstLine(dir, "piqa/valid-labels.lst"))!
        XCTAssertEqual(pool.count, 1838)
        XCTAssertEqual(pool[0].output, (raw[label == 0 ? "sol1" : "sol2"] as! String).trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(pool[0].input.components(separatedBy: "\n")[0], "Goal: \(raw["goal"] as! String)")
    }

    func testWinoGrandeFirstExampleUsesTheAnswerField() throws {
        let dir = try Mirror.directory()
        let pool = try FiveTaskCatalog.winoGrande.loadPool(from: dir)
        let raw = try Mirror.firstJSONLine(dir, "winogrande/train_m.jsonl")
        XCTAssertEqual(pool.count, 2558)
        XCTAssertEqual(pool[0].output, raw[raw["answer"] as! String == "1" ? "option1" : "option2"] as? String)
        XCTAssertTrue(pool[0].input.contains(raw["sentence"] as! String))
    }

    func testSettingsListTheirTasks() throws {
        XCTAssertEqual(try TaskRegistry.setting("five-task").tasks.map(\.id), ["gsm8k", "qqp", "cosmosqa", "siqa", "piqa"])
        XCTAssertEqual(try TaskRegistry.setting("five-task-winogrande").tasks.map(\.id), ["gsm8k", "qqp", "cosmosqa", "siqa", "winogrande"])
    }

    func testTable3CountsForTheFiveTaskSetting() throws {
        let dir = try Mirror.directory()
        let stats = try SettingStatistics.measure(try TaskRegistry.setting("five-task"), directory: dir)
        XCTAssertEqual(stats.tasksPresent, 5)
        XCTAssertEqual(stats.ourSamples, 250, "Table 3: 50 × 5")
        XCTAssertEqual(stats.paperOurSamples, 250)
        XCTAssertEqual(stats.paperBaselineSamples, 439_950)
        // Full pools minus 32 held-out rows each.
        XCTAssertEqual(stats.baselineSamples, 7473 + 9999 + 2985 + 33_410 + 1838 - 5 * 32)
        XCTAssertEqual(SettingStatistics.paperStyleOurSamples(try TaskRegistry.setting("flanv2-43"), budgetPerTask: 100), 4300)
    }
}
