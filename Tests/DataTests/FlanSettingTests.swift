import Foundation
import XCTest
import Data

final class FlanSettingTests: XCTestCase {
    func testFlanV2CountsAndMissingDatasets() throws {
        let setting = try TaskRegistry.setting("flanv2-43")
        XCTAssertEqual(setting.paperTaskCount, 43)
        XCTAssertEqual(setting.tasks.count + setting.missing.count, 43, "present + missing must cover the paper's 43")
        XCTAssertEqual(setting.missing.map(\.name), ["DROP"])
        XCTAssertEqual(setting.tasks.count, 42)
        XCTAssertEqual(Set(setting.tasks.map(\.cluster)).count + 0, 10, "the 10 clusters of appendix A.1.1")
        XCTAssertEqual(Set(setting.tasks.map(\.id)).count, setting.tasks.count, "task ids are unique")
        XCTAssertTrue(setting.coverage.contains("42 of 43"))
        XCTAssertTrue(setting.coverage.contains("DROP"))
        XCTAssertTrue(setting.substitutions.contains { $0.contains("Paracrawl") && $0.contains("WMT13") })
        XCTAssertThrowsError(try setting.task("drop")) { error in
            guard case DataError.taskMissingFromMirror(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "DROP")
        }
    }

    func testEveryFlanTaskLoadsFromTheMirror() throws {
        let dir = try Mirror.directory()
        let setting = try TaskRegistry.setting("flanv2-43")
        var report: [String] = []
        for task in setting.tasks {
            XCTAssertTrue(task.isAvailable(in: dir), "\(task.id): source files present")
            let started = Date()
            let pool = try TaskPool.load(task, from: dir)
            if ProcessInfo.processInfo.environment["DATA_TIMING"] != nil { print("time \(task.id) \(Date().timeIntervalSince(started))") }
            XCTAssertGreaterThan(pool.examples.count, 50, "\(task.id) pool")
            XCTAssertEqual(Set(pool.examples.map(\.id)).count, pool.examples.count, "\(task.id): ids unique")
            for e in pool.examples.prefix(3) {
                XCTAssertFalse(e.input.isEmpty, "\(e.id) input")
                XCTAssertFalse(e.output.isEmpty, "\(e.id) output")
                XCTAssertEqual(e.cluster, task.cluster)
            }
            report.append("\(task.id)=\(pool.examples.count)")
            if ProcessInfo.processInfo.environment["DATA_DUMP"] != nil { print("### \(pool.examples[0])") }
        }
        print("flanv2 pools: " + report.joined(separator: " "))
    }

    func testMultilingualSubstituteHas52LanguagesAndRecordsTheSubstitution() throws {
        let setting = try TaskRegistry.setting("multilingual")
        XCTAssertEqual(setting.tasks.count, 52)
        XCTAssertEqual(setting.paperTaskCount, 52)
        XCTAssertTrue(setting.notes.joined().contains("Bactrian-X"))
        XCTAssertTrue(setting.notes.joined().contains("FLORES-200"))
        let dir = try Mirror.directory()
        let german = try TaskRegistry.task("ml-de")
        let pool = try german.loadPool(from: dir)
        XCTAssertEqual(pool.count, 1012)
        XCTAssertEqual(pool[0].input, try Mirror.firstLine(dir, "multilingual/flores200/devtest/eng_Latn.devtest"))
        XCTAssertEqual(pool[0].output, try Mirror.firstLine(dir, "multilingual/flores200/devtest/deu_Latn.devtest"))
        XCTAssertEqual(pool[0].instruction, "Translate the following English sentence into German.")
        for task in setting.tasks {
            XCTAssertTrue(task.isAvailable(in: dir), "\(task.id) sources present")
        }
        let english = try TaskRegistry.task("ml-en").loadPool(from: dir)
        XCTAssertEqual(english.count, 1190)
    }
}

/// Table 3 counts for the Flanv2 and multilingual settings on the mirror.
final class SettingStatisticsTests: XCTestCase {
    func testFlanV2AndMultilingualCounts() throws {
        let dir = try Mirror.directory()
        let flan = try SettingStatistics.measure(try TaskRegistry.setting("flanv2-43"), directory: dir)
        XCTAssertEqual(flan.paperTasks, 43)
        XCTAssertEqual(flan.tasksPresent, 42)
        XCTAssertEqual(flan.missingTasks, ["DROP"])
        XCTAssertEqual(flan.budgetPerTask, 100)
        XCTAssertEqual(flan.ourSamples, 4200, "100 × the 42 tasks present (the paper: 4,300 with DROP)")
        XCTAssertEqual(flan.paperOurSamples, 4300)
        XCTAssertEqual(flan.paperBaselineSamples, 325_783)
        XCTAssertEqual(flan.poolSizes.filter { $0.value < 100 }.keys.sorted(), ["cb"], "only CB cannot fill a budget of 100")
        XCTAssertEqual(flan.baselineSamples, flan.poolSizes.values.reduce(0, +))
        XCTAssertEqual(flan.baselineSamples, 227_538, "the harness Registry's flanv2-43 mirrorPool")
        print("flanv2-43: \(flan.tasksPresent) of \(flan.paperTasks) tasks, baseline samples \(flan.baselineSamples), ours \(flan.ourSamples)")

        let multilingual = try SettingStatistics.measure(try TaskRegistry.setting("multilingual"), directory: dir)
        XCTAssertEqual(multilingual.tasksPresent, 52)
        XCTAssertEqual(multilingual.ourSamples, 2600, "Table 3: 50 × 52")
        XCTAssertEqual(multilingual.baselineSamples, 51 * (1012 - 32) + (1190 - 32))
        let plan = try DataPlan.build(setting: "multilingual", directory: dir, budgetPerTask: 50, seed: 3, episode: (2, 8, 8))
        XCTAssertEqual(plan.trainingExamples.count, 2600)
    }
}
