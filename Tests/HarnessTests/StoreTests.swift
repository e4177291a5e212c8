import Foundation
import XCTest
import Harness

final class StoreTests: HarnessTestCase {
    func sqlite3(_ db: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sqlite3", db, sql]
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
    }

    func testMigrationCreatesVersionedSchema() throws {
        let dir = try TestEnv.tempDir()
        let store = try ResultsStore(path: dir.appendingPathComponent("r.sqlite").path)
        XCTAssertEqual(ResultsStore.schemaVersion, 4)
        XCTAssertEqual(try store.count(sql: "PRAGMA user_version"), 4)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM grdb_migrations"), 4)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'metrics', 'samples', 'loss_curve', 'artifacts', 'slurm_jobs')"), 6)
        // Reopening is a no-op.
        _ = try ResultsStore(path: store.path)
    }

    func testVersion1StoreGainsTheTrainingRecordColumnAndKeepsItsRuns() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cell = try TestEnv.cells(paths)[0]
        guard case .claimed(let id, _) = try store.claim(cell, codeVersion: "t", modelSHA256: nil) else { return XCTFail("not claimed") }
        try store.finish(runID: id, outcome: CellOutcome(metrics: []), wallSeconds: 1)
        // Back to what a version-1 build wrote: no column, one migration.
        try sqlite3(store.path, """
            ALTER TABLE runs DROP COLUMN training_record_json; DROP TABLE slurm_jobs;
            DELETE FROM grdb_migrations WHERE identifier IN ('v2-runs-training-record', 'v3-runs-interrupted-stale', 'v4-slurm-jobs');
            PRAGMA user_version = 1;
            """)
        let reopened = try ResultsStore(path: store.path)
        XCTAssertEqual(try reopened.count(sql: "PRAGMA user_version"), 4)
        XCTAssertEqual(try reopened.count(sql: "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'training_record_json'"), 1)
        let run = try XCTUnwrap(try reopened.doneRun(configHash: cell.configHash))
        XCTAssertNil(run.trainingRecord, "runs finished before the column existed have no record")
    }

    func testVersion3StoreGainsTheSlurmJobsTableAndKeepsItsRuns() throws {
        let paths = try TestEnv.sandbox()
        let store = try ResultsStore(path: paths.store.path)
        let cells = try TestEnv.cells(paths)
        guard case .claimed(let done, _) = try store.claim(cells[0], codeVersion: "t", modelSHA256: "a") else { return XCTFail("not claimed") }
        try store.finish(runID: done, outcome: CellOutcome(metrics: [MetricRecord(benchmark: "mmlu", value: 0.5, n: 4)]), wallSeconds: 1)
        guard case .claimed(let stopped, _) = try store.claim(cells[1], codeVersion: "t", modelSHA256: "a") else { return XCTFail("not claimed") }
        try store.execute(sql: "UPDATE runs SET status = 'interrupted' WHERE id = \(stopped)")
        // What a schema-3 build (runs with interrupted/stale states, no Slurm jobs) holds.
        try sqlite3(store.path, """
            DROP TABLE slurm_jobs;
            DELETE FROM grdb_migrations WHERE identifier = 'v4-slurm-jobs';
            PRAGMA user_version = 3;
            """)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM sqlite_master WHERE name = 'slurm_jobs'"), 0)
        let reopened = try ResultsStore(path: store.path)
        XCTAssertEqual(try reopened.count(sql: "PRAGMA user_version"), 4)
        XCTAssertEqual(try reopened.count(sql: "SELECT count(*) FROM grdb_migrations"), 4)
        let run = try XCTUnwrap(try reopened.doneRun(configHash: cells[0].configHash), "the finished run survives")
        XCTAssertEqual(run.id, done)
        XCTAssertEqual(try reopened.metrics(runID: done).map(\.value), [0.5])
        XCTAssertEqual(try reopened.runs(status: "interrupted").map(\.id), [stopped])
        try reopened.recordSlurmJob(jobID: "42", spec: "s", profile: "p", shardDirectory: "/d", array: "0-2", script: "/d/sweep.sbatch")
        XCTAssertEqual(try reopened.slurmJobs(spec: "s", profile: "p").map(\.array), ["0-2"])
    }

    func testNewerSchemaIsAClearError() throws {
        let dir = try TestEnv.tempDir()
        let path = dir.appendingPathComponent("r.sqlite").path
        _ = try ResultsStore(path: path)
        try sqlite3(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v2-from-the-future')")
        XCTAssertThrowsError(try ResultsStore(path: path)) { e in
            guard case StoreError.newerSchema = e else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("newer metalora") && "\(e)".contains("v2-from-the-future"), "\(e)")
        }
    }

    func testNotADatabase() throws {
        let dir = try TestEnv.tempDir()
        let path = dir.appendingPathComponent("r.sqlite")
        try Data(String(repeating: "garbage ", count: 200).utf8).write(to: path)
        XCTAssertThrowsError(try ResultsStore(path: path.path)) { e in
            XCTAssertTrue("\(e)".contains("not a metalora results database"), "\(e)")
        }
    }

    func testLockedDatabaseFailsClearlyAfterTheTimeout() throws {
        let paths = try TestEnv.sandbox()
        let db = paths.store.path
        let store = try ResultsStore(path: db, busyTimeout: 0.3)
        // Another process holds the write lock for a few seconds.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "(echo 'BEGIN EXCLUSIVE;'; echo 'UPDATE runs SET seed = seed;'; echo \"SELECT 'locked';\"; sleep 4; echo 'COMMIT;') | sqlite3 '\(db)'"]
        let out = Pipe(); holder.standardOutput = out
        try holder.run()
        defer { if holder.isRunning { holder.terminate() }; holder.waitUntilExit() }
        _ = out.fileHandleForReading.availableData   // "locked" once the lock is held
        let cell = try TestEnv.cells(paths)[0]
        let start = Date()
        XCTAssertThrowsError(try store.claim(cell, codeVersion: "t", modelSHA256: nil)) { e in
            XCTAssertEqual(e as? StoreError, .locked(path: db, timeout: 0.3))
            XCTAssertTrue("\(e)".contains("locked by another process"))
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.25)
        holder.waitUntilExit()
        // After the other writer is gone, the store works and is consistent.
        guard case .claimed = try store.claim(cell, codeVersion: "t", modelSHA256: nil) else { return XCTFail() }
    }

    func testTwoWriterProcessesLoseNothing() throws {
        let dir = try TestEnv.tempDir()
        let db = dir.appendingPathComponent("shared.sqlite").path
        _ = try ResultsStore(path: db)
        let writers = try [0, 1000].map { first in
            try TestEnv.startChild(mode: "writer", env: ["METALORA_CHILD_DB": db, "METALORA_CHILD_FIRST_SEED": String(first), "METALORA_CHILD_COUNT": "30"])
        }
        for w in writers { w.waitUntilExit(); XCTAssertEqual(w.terminationStatus, 0, "writer process failed") }
        let store = try ResultsStore(path: db)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM runs WHERE status = 'done'"), 60)
        XCTAssertEqual(try store.count(sql: "SELECT count(DISTINCT config_hash) FROM runs"), 60)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM metrics"), 60 * 4)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM samples"), 60 * 3)
        XCTAssertEqual(try store.count(sql: "SELECT count(DISTINCT pid) FROM runs"), 2)
    }

    func testKill9MidRunLosesNoFinishedResultAndNeverDoubleCounts() throws {
        let paths = try TestEnv.sandbox()
        let db = paths.store.path
        let cells = try TestEnv.cells(paths)
        XCTAssertEqual(cells.count, 3)
        // More cells: three seeds × three grid points.
        try TestEnv.sweepSpec(seeds: "[0, 1, 2]").write(to: paths.spec("sweep"), atomically: true, encoding: .utf8)
        let all = try TestEnv.cells(paths)
        XCTAssertEqual(all.count, 9)
        let store = try ResultsStore(path: db)
        let child = try TestEnv.startChild(mode: "runner", env: ["METALORA_CHILD_DB": db, "METALORA_CHILD_ROOT": paths.root.path, "METALORA_CHILD_SLEEP": "0.4"])
        let reached = try TestEnv.waitUntil(timeout: 90) {
            try store.count(sql: "SELECT count(*) FROM runs WHERE status = 'done'") >= 2
                && TestEnv.runningCellHasCheckpoint(store, checkpoints: paths.checkpoints)
        }
        XCTAssertTrue(reached, "the child did not get going")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let doneBefore = try store.runs(status: "done")
        XCTAssertGreaterThanOrEqual(doneBefore.count, 2)
        for r in doneBefore { XCTAssertEqual(try store.metrics(runID: r.id).count, 4, "a finished run is complete") }
        let orphans = try store.runs(status: "running")
        XCTAssertLessThanOrEqual(orphans.count, 1)
        // Re-running: finished cells are skipped, the crashed one is marked failed and re-run.
        let exec = FakeExecutor()
        let summary = try Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "t") { _ in }.run(all)
        XCTAssertEqual(summary.skipped, doneBefore.count)
        XCTAssertEqual(summary.ran, 9 - doneBefore.count)
        XCTAssertEqual(summary.recoveredCrashed, orphans.count)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM runs WHERE status = 'done'"), 9)
        XCTAssertEqual(try store.count(sql: "SELECT count(DISTINCT config_hash) FROM runs WHERE status = 'done'"), 9)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.status = 'done'"), 9 * 4)
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE 'crashed%'"), orphans.count)
        if let o = orphans.first {
            // The crashed cell resumed from the checkpoint folder its first attempt wrote.
            XCTAssertTrue(exec.resumed.contains(o.configHash))
        }
        XCTAssertEqual(try store.count(sql: "SELECT count(*) FROM runs WHERE status = 'running'"), 0)
    }
}
