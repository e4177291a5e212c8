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

    func writeSweep(_ paths: HarnessPaths, model: String) throws -> SlurmSweep.Written {
        let spec = try ExperimentSpec.load(paths.root.appendingPathComponent("experiments/sweep.yaml"))
        let profile = try TestEnv.testProfile()
        let cells = try Planner.plan(spec, profile: profile, model: model)
        return try SlurmSweep.write(cells: cells, spec: spec, profile: profile, specPath: "experiments/sweep.yaml", profilesPath: nil,
                                    model: model, store: paths.store.path, paths: paths,
                                    resources: SlurmResources(time: "00:10:00", cpusPerTask: 2, mem: "1000M", throttle: 2),
                                    executable: "metalora", codeVersion: "test")
    }

    func runTask(_ script: URL, _ i: Int, fake: URL, codeVersion: String = "test") throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script.path]
        var env = ProcessInfo.processInfo.environment
        env["SLURM_ARRAY_TASK_ID"] = String(i); env["METALORA"] = fake.path; env["METALORA_CHILD_CODE_VERSION"] = codeVersion
        p.environment = env
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        return p.terminationStatus
    }

    func testSlurmScriptTasksRunByHashIntoShardsSkipDoneCellsAndMergeOnce() throws {
        let paths = try TestEnv.sandbox()
        let cells = try TestEnv.cells(paths)
        let fake = try TestEnv.fakeMetalora(in: paths.root)
        let w = try writeSweep(paths, model: paths.root.appendingPathComponent("model.bin").path)
        let text = try String(contentsOf: w.script, encoding: .utf8)
        XCTAssertTrue(text.contains("#SBATCH --array=0-2%2") && text.contains("#SBATCH --cpus-per-task=2") && text.contains("#SBATCH --mem=1000M"), text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: w.manifest.shardDirectory), "the output folder exists before submission")
        for i in 0..<3 { XCTAssertEqual(try runTask(w.script, i, fake: fake), 0, "array task \(i)") }
        let shard1 = try ResultsStore(path: w.manifest.shardPath(w.manifest.cells[1]))
        XCTAssertEqual(try shard1.runs(status: "done").map(\.configHash), [cells[1].configHash])
        // A task whose cell is done in a shard runs nothing.
        XCTAssertEqual(try runTask(w.script, 1, fake: fake), 0)
        XCTAssertEqual(try shard1.count(sql: "SELECT count(*) FROM runs"), 1)
        let main = try ResultsStore(path: paths.store.path)
        XCTAssertEqual(try ShardMerge.merge(shardsDir: paths.shards, into: main), MergeSummary(shards: 3, copied: 3, alreadyPresent: 0))
        XCTAssertEqual(try ShardMerge.merge(shardsDir: paths.shards, into: main), MergeSummary(shards: 3, copied: 0, alreadyPresent: 3))
        XCTAssertEqual(try main.count(sql: "SELECT count(*) FROM runs WHERE status = 'done'"), 3)
        XCTAssertEqual(Set(try main.runs().map(\.configHash)), Set(cells.map(\.configHash)))
    }

    func testMergeRefusesACorruptOrForeignShardAndLeavesTheStoreUntouched() throws {
        let paths = try TestEnv.sandbox()
        let fake = try TestEnv.fakeMetalora(in: paths.root)
        let w = try writeSweep(paths, model: paths.root.appendingPathComponent("model.bin").path)
        for i in 0..<3 { XCTAssertEqual(try runTask(w.script, i, fake: fake), 0) }
        let main = try ResultsStore(path: paths.store.path)
        // Another code version in one shard: refused, nothing merged from the good ones either.
        let shard2 = try ResultsStore(path: w.manifest.shardPath(w.manifest.cells[2]))
        try shard2.execute(sql: "UPDATE runs SET code_version = 'other'")
        XCTAssertThrowsError(try ShardMerge.merge(shardsDir: paths.shards, into: main)) { e in
            XCTAssertTrue("\(e)".contains("code version other") && "\(e)".contains("unchanged"), "\(e)")
        }
        XCTAssertEqual(try main.count(sql: "SELECT count(*) FROM runs"), 0)
        try shard2.execute(sql: "UPDATE runs SET code_version = 'test'")
        // A corrupt shard: refused, the store untouched.
        let bad = URL(fileURLWithPath: w.manifest.shardDirectory).appendingPathComponent("zz.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: bad)
        XCTAssertThrowsError(try ShardMerge.merge(shardsDir: paths.shards, into: main)) { e in XCTAssertTrue("\(e)".contains("zz.sqlite"), "\(e)") }
        XCTAssertEqual(try main.count(sql: "SELECT count(*) FROM runs"), 0)
        try FileManager.default.removeItem(at: bad)
        XCTAssertEqual(try ShardMerge.merge(shardsDir: paths.shards, into: main).copied, 3)
    }

    func testATaskAtAnotherCodeVersionRunsNothingAndTheSweepKeepsItsFinishedShards() throws {
        let paths = try TestEnv.sandbox()
        let fake = try TestEnv.fakeMetalora(in: paths.root)
        let w = try writeSweep(paths, model: paths.root.appendingPathComponent("model.bin").path)
        XCTAssertNotEqual(try runTask(w.script, 0, fake: fake, codeVersion: "edited"), 0, "a task at another code version fails")
        XCTAssertFalse(FileManager.default.fileExists(atPath: w.manifest.shardPath(w.manifest.cells[0])), "and writes no shard")
        // Its message names both versions.
        XCTAssertThrowsError(try SlurmTask.run(manifestPath: w.manifest.shardDirectory + "/sweep.json", index: 0, executor: FakeExecutor(),
                                               codeVersion: "edited") { _ in }) { e in
            XCTAssertTrue("\(e)".contains("code version edited") && "\(e)".contains("written at test"), "\(e)")
        }
        XCTAssertEqual(try runTask(w.script, 0, fake: fake), 0)
        // Rewriting the sweep at another code version would strand the finished shard: refused, naming both versions.
        let spec = try ExperimentSpec.load(paths.root.appendingPathComponent("experiments/sweep.yaml"))
        let cells = try Planner.plan(spec, profile: try TestEnv.testProfile(), model: paths.root.appendingPathComponent("model.bin").path)
        XCTAssertThrowsError(try SlurmSweep.write(cells: cells, spec: spec, profile: try TestEnv.testProfile(), specPath: "experiments/sweep.yaml",
                                                  profilesPath: nil, model: nil, store: paths.store.path, paths: paths,
                                                  resources: w.resources, executable: "metalora", codeVersion: "edited")) { e in
            XCTAssertTrue("\(e)".contains("finished at code version test") && "\(e)".contains("at edited") && "\(e)".contains("results merge"), "\(e)")
        }
        XCTAssertEqual(try SweepManifest.read(URL(fileURLWithPath: w.manifest.shardDirectory + "/sweep.json")).codeVersion, "test")
        // The same code version rewrites it freely.
        XCTAssertNoThrow(try writeSweep(paths, model: paths.root.appendingPathComponent("model.bin").path))
    }

    func testResourcesComeFromProfileThenSpecThenFlagsAndAreCheckedByName() throws {
        let profiles = TestEnv.profilesText + """

                slurm: {partition: cpu, account: lab-1, cpus_per_task: 3, mem: 2G, time: "01:00:00"}
            """
        let profile = try XCTUnwrap(try Profile.parseAll(text: profiles, file: "profiles.yaml")["t"])
        XCTAssertEqual(profile.slurm, SlurmResources(partition: "cpu", account: "lab-1", time: "01:00:00", cpusPerTask: 3, mem: "2G"))
        var spec = try ExperimentSpec.parse(text: TestEnv.sweepSpec(seeds: "[0]") + "\nslurm: {qos: short, mem: 3G}\n", file: "s.yaml")
        XCTAssertEqual(spec.slurm, SlurmResources(qos: "short", mem: "3G"))
        let r = try SlurmSweep.resources(profile: profile, spec: spec, flags: SlurmResources(time: "00:20:00", cpusPerTask: 5), estimate: nil)
        XCTAssertEqual(r, SlurmResources(partition: "cpu", account: "lab-1", qos: "short", time: "00:20:00", cpusPerTask: 5, mem: "3G"))
        let paths = try TestEnv.sandbox()
        let cells = try Planner.plan(spec, profile: profile, model: "model.bin")
        let w = try SlurmSweep.write(cells: cells, spec: spec, profile: profile, specPath: "experiments/sweep.yaml", profilesPath: nil, model: nil,
                                     store: paths.store.path, paths: paths, resources: r, executable: "metalora", codeVersion: "test")
        let text = try String(contentsOf: w.script, encoding: .utf8)
        for line in ["--partition=cpu", "--account=lab-1", "--qos=short", "--time=00:20:00", "--cpus-per-task=5", "--mem=3G",
                     "--output=\(w.manifest.shardDirectory)/slurm-%A_%a.out"] {
            XCTAssertTrue(text.contains("#SBATCH \(line)\n"), "\(line) in\n\(text)")
        }
        XCTAssertEqual(text.components(separatedBy: "--cpus-per-task").count, 2, "one CPU request, no other")
        // Nothing to fill a missing time or memory from: an error naming the option.
        spec.slurm = SlurmResources()
        XCTAssertThrowsError(try SlurmSweep.resources(profile: try TestEnv.testProfile(), spec: spec, flags: SlurmResources(mem: "1G"), estimate: nil)) { e in
            XCTAssertTrue("\(e)".contains("give --time"), "\(e)")
        }
        // Bad values are refused with the option's name, from a flag or a block.
        for (flags, field) in [(SlurmResources(qos: "a b"), "qos"), (SlurmResources(partition: "p;x"), "partition"), (SlurmResources(account: "$(id)"), "account"),
                               (SlurmResources(time: "1h"), "time"), (SlurmResources(mem: "2GB"), "mem"), (SlurmResources(cpusPerTask: 0), "cpus-per-task")] {
            XCTAssertThrowsError(try SlurmSweep.resources(profile: profile, spec: spec, flags: flags, estimate: (60, 1e9)), field) { e in
                XCTAssertTrue("\(e)".contains(field), "\(field): \(e)")
            }
        }
        for (block, field) in [("{cpus: 2}", "cpus"), ("{mem: 2GB}", "mem"), ("{time: soon}", "time"), ("{cpus_per_task: 0}", "cpus_per_task")] {
            XCTAssertThrowsError(try Profile.parseAll(text: TestEnv.profilesText + "\n    slurm: \(block)\n", file: "profiles.yaml"), block) { e in
                XCTAssertTrue("\(e)".contains(field) && "\(e)".contains("profiles.yaml"), "\(block): \(e)")
            }
        }
    }

    func testNoSpecStringReachesTheScriptUnquoted() throws {
        let paths = try TestEnv.sandbox()
        let fake = try TestEnv.fakeMetalora(in: paths.root)
        let marker = paths.root.appendingPathComponent("INJECTED")
        // Labels with shell syntax and newlines, and a --model path with $(…): none may run.
        let specURL = paths.root.appendingPathComponent("experiments/sweep.yaml")
        var yaml = try String(contentsOf: specURL, encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "label: MeTA-LoRA", with: "label: \"$(touch \(marker.path)); x\\n`touch \(marker.path)` \"")
        try yaml.write(to: specURL, atomically: true, encoding: .utf8)
        let w = try writeSweep(paths, model: "model$(touch \(marker.path)).bin")
        let text = try String(contentsOf: w.script, encoding: .utf8)
        XCTAssertFalse(text.contains("touch"), text)
        _ = try runTask(w.script, 0, fake: fake)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "a spec string was executed")
        // Names are validated: a spec name with shell syntax is refused at load.
        for bad in ["x$(id)", "a;b", "a b", "a\\nb", "../../../X"] {
            let t = yaml.replacingOccurrences(of: "name: sweep", with: "name: \"\(bad)\"")
            XCTAssertThrowsError(try ExperimentSpec.parse(text: t, file: "s.yaml"), bad) { e in XCTAssertTrue("\(e)".contains("not a valid name"), "\(e)") }
        }
        XCTAssertNotNil(SlurmResources.nameProblem("p;rm"))
        XCTAssertNotNil(SlurmResources.timeProblem("1:00$(x)"))
        XCTAssertEqual(SlurmScript.shellQuoted("a'b"), #"'a'\''b'"#)
        XCTAssertEqual(SlurmClient.arrayList([0, 1, 2, 5, 7, 8]), "0-2,5,7-8")
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
