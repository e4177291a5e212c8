import Foundation
import XCTest
import Engine
import Harness

final class RunnerTests: HarnessTestCase {
    func testSkipsDoneCellsAndRecordsEverything() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cells = try TestEnv.cells(paths)
        let exec = FakeExecutor()
        var lines: [String] = []
        let runner = Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "v-test", threads: 3) { lines.append($0) }
        let first = try runner.run(cells)
        XCTAssertEqual(first, RunSummary(ran: 3, skipped: 0, failed: 0, busy: 0, recoveredCrashed: 0, failures: []))
        XCTAssertEqual(exec.threadsSeen, [3, 3, 3])
        XCTAssertTrue(lines.contains { $0.contains("[2/3] run sweep/MeTA-LoRA budget=50 grid=n=2") && $0.contains("1 done, 2 left, ETA") }, lines.joined(separator: "\n"))
        let second = try runner.run(cells)
        XCTAssertEqual(second.skipped, 3)
        XCTAssertEqual(exec.calls.count, 3, "done cells are never executed again")
        let run = try XCTUnwrap(try store.doneRun(configHash: cells[0].configHash))
        XCTAssertEqual(run.codeVersion, "v-test")
        XCTAssertEqual(run.profile, "t")
        XCTAssertEqual(run.modelSHA256, SHA256.hex(of: "not a real model"))
        XCTAssertEqual(run.optimizerSteps, 2)
        XCTAssertEqual(run.samples, cells[0].cost.trainSamples)
        XCTAssertEqual(run.overrides, cells[0].overrides)
        XCTAssertEqual(try store.lossCurve(runID: run.id).count, 2)
        XCTAssertEqual(try store.artifacts(runID: run.id).first?.kind, "adapter")
        XCTAssertEqual(try store.metrics(runID: run.id).first?.value, FakeExecutor.score(cells[0].configHash, "bbh"))
        XCTAssertEqual(run.trainingRecord, FakeExecutor.trainingRecord(cells[0]))
    }

    func testFailureIsRecordedAndRetriedWithTheSameCheckpointDir() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cells = try TestEnv.cells(paths)
        let exec = FakeExecutor()
        exec.failLabels = ["n=2"]
        let runner = Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }
        let s1 = try runner.run(cells)
        XCTAssertEqual(s1.ran, 2); XCTAssertEqual(s1.failed, 1)
        let failed = try store.runs(status: "failed")
        XCTAssertEqual(failed.count, 1)
        XCTAssertEqual(failed[0].error, "boom in n=2")
        XCTAssertEqual(runner.checkpointDir(for: cells[1]).lastPathComponent, cells[1].configHash)
        exec.failLabels = []
        let s2 = try runner.run(cells)
        XCTAssertEqual(s2.ran, 1); XCTAssertEqual(s2.skipped, 2)
        XCTAssertEqual(exec.resumed, [cells[1].configHash], "the retry found the first attempt's checkpoint")
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM runs WHERE status = 'done'"), 3)
    }

    func testStaleRunningRunIsRecoveredButALiveOneIsLeftAlone() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cells = try TestEnv.cells(paths)
        // cell 0: claimed by a process that no longer exists; cell 1: by a live one (our parent).
        _ = try store.claim(cells[0], codeVersion: "t", modelSHA256: nil, pid: 2_000_000_000)
        _ = try store.claim(cells[1], codeVersion: "t", modelSHA256: nil, pid: Int(getppid()))
        let exec = FakeExecutor()
        let s = try Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }.run(cells)
        XCTAssertEqual(s.recoveredCrashed, 1)
        XCTAssertEqual(s.busy, 1)
        XCTAssertEqual(s.ran, 2)
        XCTAssertEqual(Set(exec.calls), [cells[0].configHash, cells[2].configHash])
        XCTAssertEqual(try store.runs(status: "failed").first?.error?.hasPrefix("crashed"), true)
    }

    func testResultsCommands() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cells = try TestEnv.cells(paths)
        let exec = FakeExecutor(); exec.failLabels = ["n=3"]
        try Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }.run(cells)
        let ls = try ResultsCommands.ls(store: store)
        XCTAssertEqual(ls.split(separator: "\n").count, 4)
        XCTAssertTrue(ls.contains("error: boom in n=3") && ls.contains("bbh="), ls)
        let show = try ResultsCommands.show(store: store, runID: 1)
        XCTAssertTrue(show.contains("config_hash \(cells[0].configHash)") && show.contains("loss curve: 2 points") && show.contains("profile overrides: iterations 1000 → 2"), show)
        XCTAssertThrowsError(try ResultsCommands.show(store: store, runID: 99))
        let csv = try ResultsCommands.exportCSV(store: store)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 2 * 4)
        XCTAssertTrue(csv.hasPrefix("run_id,config_hash,spec"))
        let json = try JSONValue.parse(try ResultsCommands.exportJSON(store: store))
        guard case .array(let runs) = json else { return XCTFail() }
        XCTAssertEqual(runs.count, 3)
        XCTAssertEqual(runs[0]["config"]?["method"], .string("meta-lora"))
    }
}
