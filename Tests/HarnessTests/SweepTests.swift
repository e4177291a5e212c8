import Foundation
import XCTest
import Harness

final class SweepTests: HarnessTestCase {
    func testRunCellArgumentsRoundTrip() throws {
        let a = RunCellArguments(spec: "experiments/table8.yaml", profile: "quick", model: "m.gguf", cellIndex: 3, cellHash: "abc", db: "results/shards/3.sqlite", threads: 2)
        XCTAssertEqual(a.argv, ["run-cell", "experiments/table8.yaml", "--profile", "quick", "--model", "m.gguf", "--cell-index", "3", "--cell-hash", "abc", "--db", "results/shards/3.sqlite", "--threads", "2"])
        XCTAssertEqual(try RunCellArguments.parse(a.argv), a)
        XCTAssertThrowsError(try RunCellArguments.parse(["run-cell", "s.yaml", "--profile", "q", "--db", "x"])) { e in
            XCTAssertTrue("\(e)".contains("--cell-index or --cell-hash"))
        }
        XCTAssertThrowsError(try RunCellArguments.parse(["s.yaml", "--profile", "q", "--db", "x", "--cell-index", "1", "--bogus", "1"]))
    }

    func testSlurmScriptTasksRunLocallyIntoShardsAndMergeOnce() throws {
        let paths = try TestEnv.sandbox()
        let cells = try TestEnv.cells(paths)
        let model = paths.root.appendingPathComponent("model.bin").path
        let fake = try TestEnv.fakeMetalora(in: paths.root)
        let script = try SlurmBackend.writeScript(to: paths.root.appendingPathComponent("results/sweep.sbatch"), cells: cells,
                                                  specPath: "experiments/sweep.yaml", profile: "t", model: model, paths: paths,
                                                  executable: "metalora", cpusPerTask: 2)
        let text = try String(contentsOf: script, encoding: .utf8)
        XCTAssertTrue(text.contains("#SBATCH --array=0-2") && text.contains("#SBATCH --cpus-per-task=2"), text)
        XCTAssertTrue(text.contains("\"--cell-index\" \"${i}\"") && text.contains("/results/shards/${i}.sqlite"), text)
        // Each array task, run as slurm would run it (bash, SLURM_ARRAY_TASK_ID), with the fake metalora.
        for i in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = [script.path]
            var env = ProcessInfo.processInfo.environment
            env["SLURM_ARRAY_TASK_ID"] = String(i); env["METALORA"] = fake.path
            p.environment = env
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run(); p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "array task \(i)")
        }
        let shard1 = try ResultsStore(path: paths.shards.appendingPathComponent("1.sqlite").path)
        XCTAssertEqual(try shard1.runs(status: "done").map(\.configHash), [cells[1].configHash])
        let main = try ResultsStore(path: paths.store.path)
        XCTAssertEqual(try ShardMerge.merge(shardsDir: paths.shards, into: main), MergeSummary(shards: 3, copied: 3, alreadyPresent: 0))
        XCTAssertEqual(try ShardMerge.merge(shardsDir: paths.shards, into: main), MergeSummary(shards: 3, copied: 0, alreadyPresent: 3))
        XCTAssertEqual(try main.count(sql: "SELECT count(*) FROM runs WHERE status = 'done'"), 3)
        XCTAssertEqual(try main.count(sql: "SELECT count(*) FROM metrics"), 3 * 4)
        XCTAssertEqual(try main.count(sql: "SELECT count(*) FROM artifacts WHERE kind = 'adapter'"), 3)
        XCTAssertEqual(Set(try main.runs().map(\.configHash)), Set(cells.map(\.configHash)))
        for run in try main.runs() {
            let cell = try XCTUnwrap(cells.first { $0.configHash == run.configHash })
            XCTAssertEqual(run.trainingRecord, FakeExecutor.trainingRecord(cell), "the merge copies the trainer's record")
        }
    }

    func testLocalSweepRunsJobsInParallelProcessesWithAThreadBudget() throws {
        let paths = try TestEnv.sandbox()
        let cells = try TestEnv.cells(paths)
        let fake = try TestEnv.fakeMetalora(in: paths.root)
        let store = try ResultsStore(path: paths.store.path)
        var log: [String] = []
        let s = try LocalSweep.run(cells: cells, specPath: "experiments/sweep.yaml", profile: "t", model: paths.root.appendingPathComponent("model.bin").path,
                                   store: store, paths: paths, jobs: 2, executable: fake, totalThreads: 4) { log.append($0) }
        XCTAssertEqual(s.launched, 3); XCTAssertEqual(s.succeeded, 3, "\(s.failed)")
        XCTAssertTrue(log[0].contains("2 at a time with 2 thread(s) each"), log[0])
        XCTAssertEqual(try store.count(sql: "SELECT count(DISTINCT pid) FROM runs"), 3, "each cell in its own process")
        let again = try LocalSweep.run(cells: cells, specPath: "experiments/sweep.yaml", profile: "t", model: nil, store: store, paths: paths,
                                       jobs: 2, executable: fake) { _ in }
        XCTAssertEqual(again.alreadyDone, 3); XCTAssertEqual(again.launched, 0)
    }

    func testRunCellRejectsAChangedPlan() throws {
        let paths = try TestEnv.sandbox()
        let a = RunCellArguments(spec: "experiments/sweep.yaml", profile: "t", model: "model.bin", cellIndex: 1, cellHash: "ffff", db: "x.sqlite")
        XCTAssertThrowsError(try RunCellCommand.resolve(a, paths: paths)) { e in XCTAssertTrue("\(e)".contains("changed since the sweep"), "\(e)") }
        var b = a; b.cellIndex = 7; b.cellHash = nil
        XCTAssertThrowsError(try RunCellCommand.resolve(b, paths: paths)) { e in XCTAssertTrue("\(e)".contains("out of range")) }
    }
}
