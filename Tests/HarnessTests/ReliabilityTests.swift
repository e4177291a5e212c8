import Foundation
import XCTest
import Harness
import Models

/// The store and the runner under mistakes a user makes: a mistyped or odd --db, a model file
/// replaced under the same path, Ctrl-C mid-run, a cell that fails, a spec that repeats itself.
final class ReliabilityTests: HarnessTestCase {
    // MARK: the store

    func testReadCommandsRefuseAMissingStoreAndCreateNothing() throws {
        let paths = try TestEnv.sandbox()
        let typo = paths.root.appendingPathComponent("resluts/metalora.sqlite")
        for action in ["ls", "show", "export-csv", "recover"] {
            XCTAssertThrowsError(try HarnessCommands.results(action, argument: "1", db: typo.path, paths: paths), action) { error in
                XCTAssertTrue("\(error)".contains("no results store at \(typo.path)"), "\(error)")
            }
        }
        XCTAssertThrowsError(try HarnessCommands.table("2", profile: "t", db: typo.path, paths: paths))
        XCTAssertFalse(FileManager.default.fileExists(atPath: typo.deletingLastPathComponent().path), "a folder was created")
        // merge is the one read-write command that may start a new store.
        XCTAssertNoThrow(try HarnessCommands.results("merge", db: typo.path, paths: paths))
    }

    func testAnArgumentAnActionWouldIgnoreIsRefused() throws {
        let paths = try TestEnv.sandbox()
        let store = paths.root.appendingPathComponent("s.sqlite").path
        XCTAssertNoThrow(try HarnessCommands.results("merge", db: store, paths: paths))
        for action in ["merge", "export-csv", "recover"] {
            XCTAssertThrowsError(try HarnessCommands.results(action, argument: "shards/", db: store, paths: paths), action) { error in
                XCTAssertTrue("\(error)".contains("takes no argument, got 'shards/'"), "\(error)")
            }
        }
        XCTAssertThrowsError(try HarnessCommands.results("merge", argument: "x", db: store, paths: paths)) { error in
            XCTAssertTrue("\(error)".contains("--shards DIR"), "\(error)")
        }
    }

    func testDataVerifyNamesAMissingFolder() throws {
        let result = try HarnessCommands.dataVerify(dataDir: "/nonexistent-metalora-data", paths: TestEnv.repoPaths)
        XCTAssertFalse(result.ok)
        XCTAssertTrue(result.report.contains("no such data folder"), result.report)
    }

    func testAFolderGivenAsTheStoreIsNamed() throws {
        let dir = try TestEnv.tempDir()
        XCTAssertThrowsError(try ResultsStore(path: dir.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(dir.path) && text.contains("it is a folder") && !text.contains("error 14"), text)
        }
    }

    func testStoreOfSchemaTwoGainsTheNewStatusesAndKeepsItsRuns() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cell = try TestEnv.cells(paths)[0]
        guard case .claimed(let id, _) = try store.claim(cell, codeVersion: "t", modelSHA256: "a") else { return XCTFail("not claimed") }
        try store.finish(runID: id, outcome: CellOutcome(metrics: [MetricRecord(benchmark: "mmlu", value: 0.5, n: 4)]), wallSeconds: 1)
        // What a schema-2 build holds: the old CHECK constraint, no v3 or v4 migration.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        shell.arguments = ["sqlite3", store.path, """
            DROP TABLE slurm_jobs;
            DELETE FROM grdb_migrations WHERE identifier IN ('v3-runs-interrupted-stale', 'v4-slurm-jobs');
            PRAGMA user_version = 2;
            """]
        try shell.run(); shell.waitUntilExit()
        let reopened = try ResultsStore(path: store.path)
        XCTAssertEqual(try reopened.count(sql: "PRAGMA user_version"), 4)
        XCTAssertEqual(try reopened.metrics(runID: id).count, 1, "the run's children survive the table rebuild")
        try reopened.execute(sql: "UPDATE runs SET status = 'interrupted' WHERE id = \(id)")
        XCTAssertThrowsError(try reopened.execute(sql: "UPDATE runs SET status = 'bogus' WHERE id = \(id)"))
    }

    // MARK: the runner

    func testDoneCellWhoseModelFileChangedIsRunAgainAndSaysSo() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cells = try TestEnv.cells(paths)
        let first = try Runner(store: store, executor: FakeExecutor(), checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }.run(cells)
        XCTAssertEqual(first.ran, 3)
        try Data("another model".utf8).write(to: paths.root.appendingPathComponent("model.bin"))
        var lines: [String] = []
        let second = try Runner(store: store, executor: FakeExecutor(), checkpointRoot: paths.checkpoints, codeVersion: "t") { lines.append($0) }.run(cells)
        XCTAssertEqual(second.ran, 3, "no cell is skipped on the old model's results")
        XCTAssertEqual(lines.filter { $0.contains("model file") && $0.contains("changed") && $0.contains("marked stale") }.count, 3, "\(lines)")
        XCTAssertEqual(try store.runs(status: "stale").count, 3)
        let now = try ModelFingerprint.sha256(of: paths.root.appendingPathComponent("model.bin"))
        XCTAssertEqual(Set(try store.runs(status: "done").compactMap(\.modelSHA256)), [now])
        // Unchanged since: skipped as usual.
        XCTAssertEqual(try Runner(store: store, executor: FakeExecutor(), checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }.run(cells).skipped, 3)
    }

    func testSIGTERMMarksTheRunningRowInterruptedAndTheNextRunResumesIt() throws {
        let paths = try TestEnv.sandbox()
        let db = paths.store.path
        let store = try ResultsStore(path: db)
        let child = try TestEnv.startChild(mode: "runner", env: ["METALORA_CHILD_DB": db, "METALORA_CHILD_ROOT": paths.root.path,
                                                                  "METALORA_CHILD_SLEEP": "30", "METALORA_CHILD_SIGNALS": "1"])
        XCTAssertTrue(try TestEnv.waitUntil(timeout: 60) { try TestEnv.runningCellHasCheckpoint(store, checkpoints: paths.checkpoints) })
        kill(child.processIdentifier, SIGTERM)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 128 + SIGTERM)
        let interrupted = try store.runs(status: "interrupted")
        XCTAssertEqual(interrupted.count, 1)
        XCTAssertEqual(interrupted.first?.error, "interrupted by SIGTERM")
        XCTAssertEqual(try store.runs(status: "running").count, 0)
        let exec = FakeExecutor()
        let summary = try Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }.run(try TestEnv.cells(paths))
        XCTAssertEqual(summary.ran, 3)
        XCTAssertEqual(summary.recoveredCrashed, 0, "an interrupted run is not a crash")
        XCTAssertTrue(exec.resumed.contains(interrupted[0].configHash), "the interrupted cell resumes from its checkpoint folder")
    }

    func testAFailedCellMakesSweepAndRunCellReportFailure() throws {
        let paths = try TestEnv.sandbox()
        let exec = FakeExecutor()
        exec.failLabels = ["n=2"]
        let cells = try TestEnv.cells(paths)
        let summary = try RunCellCommand.run(RunCellArguments(spec: "experiments/sweep.yaml", profile: "t", model: paths.root.appendingPathComponent("model.bin").path,
                                                              cellIndex: cells[1].index, db: paths.store.path),
                                             paths: paths, executor: exec, codeVersion: "t") { _ in }
        XCTAssertEqual(summary.failed, 1)
        XCTAssertTrue(summary.description.hasPrefix("0 cells run, 0 already done, 1 failed"), summary.description)
        XCTAssertFalse(summary.description.contains("RunSummary("))
    }

    func testRunCellArgumentsParseWithArgumentParser() throws {
        XCTAssertThrowsError(try RunCellArguments.parse(["s.yaml", "--profile", "q", "--db", "x", "--cell-index", "-1"])) { error in
            XCTAssertTrue("\(error)".contains("--cell-index must be 0 or more (got -1)"), "\(error)")
        }
        XCTAssertThrowsError(try RunCellArguments.parse(["s.yaml", "--profile", "q", "--cell-index", "1"])) { error in
            XCTAssertTrue("\(error)".contains("--db"), "\(error)")
        }
    }

    // MARK: specs

    func testRepeatedSeedsBudgetsAndBenchmarksFailAtPlanTime() {
        let base = TestEnv.sweepSpec(seeds: "[0, 0]")
        XCTAssertThrowsError(try ExperimentSpec.parse(text: base, file: "dup.yaml")) { error in
            XCTAssertTrue("\(error)".contains("dup.yaml:4") && "\(error)".contains("seed 0 is listed twice"), "\(error)")
        }
        XCTAssertThrowsError(try ExperimentSpec.parse(text: TestEnv.sweepSpec(seeds: "[0]").replacingOccurrences(of: "budgets: [50]", with: "budgets: [50, 50]"), file: "b.yaml")) { error in
            XCTAssertTrue("\(error)".contains("budget 50 is listed twice"), "\(error)")
        }
        let twoLabels = TestEnv.sweepSpec(seeds: "[0]").replacingOccurrences(of: "{label: \"n=3\", tasks_per_iteration: 3}", with: "{label: \"n=3\", tasks_per_iteration: 2}")
        XCTAssertThrowsError(try Planner.plan(try ExperimentSpec.parse(text: twoLabels, file: "g.yaml"), profile: try TestEnv.testProfile(), model: "m")) { error in
            XCTAssertTrue("\(error)".contains("same configuration") && "\(error)".contains("n=2") && "\(error)".contains("n=3"), "\(error)")
        }
    }
}
