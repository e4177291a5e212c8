import Foundation
import XCTest
import Harness

final class CommandsTests: HarnessTestCase {
    func testPlanPrintsCellsCostAndOverrides() throws {
        let out = try HarnessCommands.plan(spec: "experiments/table8.yaml", profile: "smoke", paths: TestEnv.repoPaths)
        XCTAssertTrue(out.hasPrefix("table8 → table8 (five-task) on profile smoke"), out)
        XCTAssertTrue(out.contains("c_base") && out.contains("c3") && out.contains("4 cells"), out)
        XCTAssertThrowsError(try HarnessCommands.plan(spec: "experiments/table8.yaml", profile: "tiny", paths: TestEnv.repoPaths)) { e in
            XCTAssertTrue("\(e)".contains("valid profiles: paper, quick, small, smoke"), "\(e)")
        }
    }

    func testScratchStoreAndCheckpointsLeaveResultsUntouched() throws {
        let paths = try TestEnv.sandbox()
        let s = try HarnessCommands.run(spec: "experiments/sweep.yaml", profile: "t", model: "model.bin", db: "scratch/s.sqlite",
                                        checkpoints: "scratch/runs", executor: FakeExecutor(), paths: paths) { _ in }
        XCTAssertEqual(s.ran, 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths.results.path), "nothing under results/")
        let folders = try FileManager.default.contentsOfDirectory(atPath: paths.root.appendingPathComponent("scratch/runs").path)
        XCTAssertEqual(folders.count, 3, "one checkpoint folder per cell: \(folders)")
    }

    func testRunTableAndResultsThroughTheCommands() throws {
        let paths = try TestEnv.sandbox()
        let exec = FakeExecutor()
        let s = try HarnessCommands.run(spec: "experiments/sweep.yaml", profile: "t", model: "model.bin", executor: exec, paths: paths) { _ in }
        XCTAssertEqual(s.ran, 3)
        XCTAssertEqual(exec.threadsSeen.count, 3)
        let ls = try HarnessCommands.results("ls", paths: paths)
        XCTAssertEqual(ls.split(separator: "\n").count, 4)
        XCTAssertTrue(try HarnessCommands.results("merge", paths: paths).contains("merged 0 shard(s)"))
        XCTAssertThrowsError(try HarnessCommands.results("frobnicate", paths: paths))
        var dryRun = HarnessCommands.SlurmSweepOptions()
        dryRun.dryRun = true
        dryRun.resources = SlurmResources(time: "00:10:00", mem: "1G")
        let slurm = try HarnessCommands.sweep(spec: "experiments/sweep.yaml", profile: "t", backend: "slurm", executable: URL(fileURLWithPath: "/usr/local/bin/metalora"),
                                              slurm: dryRun, paths: paths)
        XCTAssertTrue(slurm.ok && slurm.report.contains("shards/sweep-t/sweep.sbatch") && slurm.report.contains("3 array tasks")
                      && slurm.report.contains("nothing submitted"), slurm.report)
        for n in ["table1", "table2", "table4", "table5"] {
            try FileManager.default.createSymbolicLink(at: paths.spec(n), withDestinationURL: TestEnv.repoPaths.spec(n))
        }
        let t3 = try HarnessCommands.table("3", profile: "t", paths: paths)
        XCTAssertEqual(t3.files.map(\.lastPathComponent), ["table3.md", "table3.tex"])
    }

    func testDataVerifyNamesMissingFiles() throws {
        let empty = try TestEnv.tempDir()
        let (report, ok) = try HarnessCommands.dataVerify(dataDir: empty.path, paths: TestEnv.repoPaths)
        XCTAssertFalse(ok)
        XCTAssertTrue(report.contains("677 of 677 files missing or altered") && report.contains("missing: mmlu/dev/anatomy_dev.csv"), String(report.prefix(300)))
    }
}
