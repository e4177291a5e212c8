// Child-process modes of this test binary, for tests that need real separate processes (two
// concurrent writers, kill -9 mid-run, slurm tasks and local sweeps running `run-cell`).
// Without METALORA_HARNESS_CHILD the test does nothing.
import Foundation
import XCTest
import Harness

final class ChildProcessEntry: XCTestCase {
    func testChildEntry() throws {
        let env = ProcessInfo.processInfo.environment
        guard let mode = env["METALORA_HARNESS_CHILD"] else { return }
        switch mode {
        case "writer":
            // Claims and finishes `count` distinct cells, one short transaction each.
            let store = try ResultsStore(path: env["METALORA_CHILD_DB"]!, busyTimeout: 30)
            let first = Int(env["METALORA_CHILD_FIRST_SEED"]!)!, count = Int(env["METALORA_CHILD_COUNT"]!)!
            let seeds = (first..<(first + count)).map(String.init).joined(separator: ", ")
            let spec = try ExperimentSpec.parse(text: TestEnv.sweepSpec(seeds: "[\(seeds)]"), file: "writer.yaml")
            let cells = try Planner.plan(spec, profile: try TestEnv.testProfile(), model: "model.bin").filter { $0.gridLabel == "n=2" }
            let exec = FakeExecutor()
            for c in cells {
                guard case .claimed(let id, _) = try store.claim(c, codeVersion: "test", modelSHA256: nil) else { continue }
                let dir = URL(fileURLWithPath: store.path).deletingLastPathComponent().appendingPathComponent("checkpoints-\(first)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let out = try exec.execute(c, checkpointDir: dir, threads: 1) { _ in }
                try store.finish(runID: id, outcome: out, wallSeconds: 0.01)
            }
        case "runner":
            let paths = HarnessPaths(root: URL(fileURLWithPath: env["METALORA_CHILD_ROOT"]!))
            let store = try ResultsStore(path: env["METALORA_CHILD_DB"]!)
            let exec = FakeExecutor()
            exec.sleepSeconds = Double(env["METALORA_CHILD_SLEEP"] ?? "0.3")!
            let runner = Runner(store: store, executor: exec, checkpointRoot: paths.checkpoints, codeVersion: "test") { _ in }
            if env["METALORA_CHILD_SIGNALS"] != nil { runner.interruption = RunInterruption { _ in } }
            try runner.run(try TestEnv.cells(paths))
        case "run-cell":
            let args = env["METALORA_CHILD_ARGS"]!.split(separator: "\u{1f}", omittingEmptySubsequences: true).map(String.init)
            if args.first == "slurm-task" {
                // As `metalora slurm-task MANIFEST` does, at the code version METALORA_CHILD_CODE_VERSION (default "test").
                try SlurmTask.run(manifestPath: args[1], index: Int(env["SLURM_ARRAY_TASK_ID"]!)!, executor: FakeExecutor(),
                                  codeVersion: env["METALORA_CHILD_CODE_VERSION"] ?? "test") { print($0) }
                return
            }
            let a = try RunCellArguments.parse(args)
            try RunCellCommand.run(a, paths: HarnessPaths.current, executor: FakeExecutor(), codeVersion: "test") { print($0) }
        default:
            XCTFail("unknown child mode \(mode)")
        }
    }
}
