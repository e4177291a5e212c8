// Shared by the harness tests: temp folders, a small spec, a fake executor, and child processes
// made by re-running this test binary with METALORA_HARNESS_CHILD set (see ChildProcessEntry).
import Foundation
import XCTest
import Engine
import Harness
import TestSupport

enum TestEnv {
    static var packageRoot: URL { Fixtures.packageRoot }
    static var repoPaths: HarnessPaths { HarnessPaths(root: packageRoot) }
    static var sharedData: URL { packageRoot.appendingPathComponent("../shared/data").standardizedFileURL }

    /// Folders made by this test process; HarnessTestCase removes them after each test.
    nonisolated(unsafe) static var created: [URL] = []

    static func tempDir(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("metalora-harness-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        created.append(u)
        return u
    }

    /// A package-like root with its own experiments/ (a 3-point grid spec and a profile "t"),
    /// symlinked paper-tables/, and a small model file.
    static func sandbox(_ name: String = #function, seeds: String = "[0]") throws -> HarnessPaths {
        let root = try tempDir(name)
        let exp = root.appendingPathComponent("experiments")
        try FileManager.default.createDirectory(at: exp, withIntermediateDirectories: true)
        try Data("not a real model".utf8).write(to: root.appendingPathComponent("model.bin"))
        try sweepSpec(seeds: seeds).write(to: exp.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        try profilesText.write(to: exp.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("paper-tables"),
                                                   withDestinationURL: packageRoot.appendingPathComponent("paper-tables"))
        return HarnessPaths(root: root)
    }

    static func sweepSpec(seeds: String) -> String {
        """
        name: sweep
        table: table9
        setting: five-task
        seeds: \(seeds)
        benchmarks:
          - {name: bbh, shots: 3, variant: direct}
          - {name: mmlu, shots: 5}
        methods:
          - name: meta-lora
            label: MeTA-LoRA
            budgets: [50]
            hyper: {iterations: 1000, tasks_per_iteration: 2, support_size: 8, query_size: 8, adaptation_steps: 3,
                    alpha: 5.0e-6, beta: 2.0e-6, rank: 16, targets: [q, k, v, o]}
            grid:
              - {label: "n=1", tasks_per_iteration: 1}
              - {label: "n=2", tasks_per_iteration: 2}
              - {label: "n=3", tasks_per_iteration: 3}
        """
    }

    static let profilesText = """
        profiles:
          t:
            description: "test profile"
            model: model.bin
            max_iterations: 2
            max_examples_per_task: 4
            eval_limit: 2
            rate_scale: {alpha: 100, beta: 100}
        """

    /// A one-seed spec for table 9 of the five-task setting; `body` gives its benchmarks and methods.
    static func table9Spec(_ body: String) -> String {
        "name: table9\ntable: table9\nsetting: five-task\nseeds: [0]\n" + body
    }

    /// A table 9 layout of one column and one row (YAML flow maps).
    static func table9Layout(title: String, column: String, row: String) -> String {
        "table: table9\nspec: table9\ntitle: \"\(title)\"\ncolumns:\n  - \(column)\nrows:\n  - \(row)"
    }

    /// A profiles file whose one profile, `proof`, runs `model` on one thread with `settings`
    /// ("key: value" lines) besides.
    static func proofProfiles(model: String, _ settings: String...) -> String {
        (["profiles:", "  proof:", "    description: \"tiny fixture model\"", "    model: \(model)"]
            + settings.map { "    " + $0 } + ["    threads: 1"]).joined(separator: "\n")
    }

    /// Skips a test that needs the data mirror where it is absent.
    static func requireDataMirror() throws {
        guard FileManager.default.fileExists(atPath: sharedData.appendingPathComponent("piqa/valid.jsonl").path) else {
            throw XCTSkip("no data mirror at \(sharedData.path)")
        }
    }

    /// A package-like root with one spec (`experiments/<table>.yaml`), its profiles file and its
    /// table layout (`paper-tables/<table>.yaml`) beside the repository's reported numbers.
    /// `root` lets a test put its own data in the same folder first.
    static func packageRoot(table: String = "table9", spec: String, profiles: String, layout: String,
                            root given: URL? = nil, name: String = #function) throws -> HarnessPaths {
        let root = try given ?? tempDir(name)
        let fm = FileManager.default
        for dir in ["experiments", "paper-tables"] { try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true) }
        try spec.write(to: root.appendingPathComponent("experiments/\(table).yaml"), atomically: true, encoding: .utf8)
        try profiles.write(to: root.appendingPathComponent("experiments/profiles.yaml"), atomically: true, encoding: .utf8)
        try layout.write(to: root.appendingPathComponent("paper-tables/\(table).yaml"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(at: root.appendingPathComponent("paper-tables/reported-numbers.yaml"), withDestinationURL: repoPaths.reportedNumbers)
        return HarnessPaths(root: root)
    }

    static func testProfile() throws -> Profile { try Profile.parseAll(text: profilesText, file: "profiles.yaml")["t"]! }

    static func cells(_ paths: HarnessPaths) throws -> [ResolvedCell] {
        let spec = try ExperimentSpec.load(paths.spec("sweep"))
        return try Planner.plan(spec, profile: try Profile.named("t", in: paths.profiles), model: paths.root.appendingPathComponent("model.bin").path)
    }

    /// The test binary itself (the .xctest executable on Linux).
    static var testBinary: URL { URL(fileURLWithPath: CommandLine.arguments[0]) }

    /// Starts this test binary in a child mode; arguments travel in METALORA_CHILD_ARGS.
    static func startChild(mode: String, env: [String: String], cwd: URL? = nil) throws -> Process {
        let p = Process()
        p.executableURL = testBinary
        p.arguments = ["HarnessTests.ChildProcessEntry/testChildEntry"]
        var e = ProcessInfo.processInfo.environment
        e["METALORA_HARNESS_CHILD"] = mode
        for (k, v) in env { e[k] = v }
        p.environment = e
        if let c = cwd { p.currentDirectoryURL = c }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// A shell script standing in for the `metalora` executable: `run-cell …` re-runs this test
    /// binary in run-cell mode with the same arguments and a fake executor.
    static func fakeMetalora(in dir: URL) throws -> URL {
        let u = dir.appendingPathComponent("fake-metalora")
        let script = """
            #!/bin/bash
            set -e
            args=""
            for a in "$@"; do args="$args$a"$'\\x1f'; done
            export METALORA_HARNESS_CHILD=run-cell METALORA_CHILD_ARGS="$args"
            exec "\(testBinary.path)" HarnessTests.ChildProcessEntry/testChildEntry
            """
        try script.write(to: u, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: u.path)
        return u
    }

    static func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end { if try condition() { return true }; Thread.sleep(forTimeInterval: 0.05) }
        return try condition()
    }

    /// True once exactly one run is 'running' and its executor has written its checkpoint file:
    /// the claim is stored a moment before the checkpoint, so a kill between the two would find
    /// nothing to resume.
    static func runningCellHasCheckpoint(_ store: ResultsStore, checkpoints: URL) throws -> Bool {
        let running = try store.runs(status: "running")
        guard running.count == 1 else { return false }
        let file = checkpoints.appendingPathComponent(running[0].configHash).appendingPathComponent(FakeExecutor.checkpointFile)
        return FileManager.default.fileExists(atPath: file.path)
    }
}

/// Removes the test's temporary folders.
class HarnessTestCase: XCTestCase {
    override func tearDown() {
        for u in TestEnv.created { try? FileManager.default.removeItem(at: u) }
        TestEnv.created.removeAll()
        super.tearDown()
    }
}

/// Deterministic results derived from the config hash; can sleep, fail, and notices checkpoints.
final class FakeExecutor: CellExecutor {
    /// What `execute` writes into a cell's checkpoint folder first.
    static let checkpointFile = "checkpoint.txt"
    var calls: [String] = []
    var resumed: [String] = []
    var failLabels: Set<String> = []
    var sleepSeconds: Double = 0
    var threadsSeen: [Int] = []

    struct Boom: Error, CustomStringConvertible { let description: String }

    static func score(_ hash: String, _ benchmark: String) -> Double {
        let h = SHA256.hex(of: hash + benchmark)
        return Double(Int(h.prefix(4), radix: 16)!) / 65535.0
    }

    func execute(_ cell: ResolvedCell, checkpointDir: URL, threads: Int, progress: @escaping (CellProgress) -> Void) throws -> CellOutcome {
        calls.append(cell.configHash)
        threadsSeen.append(threads)
        let ck = checkpointDir.appendingPathComponent(FakeExecutor.checkpointFile)
        if FileManager.default.fileExists(atPath: ck.path) { resumed.append(cell.configHash) }
        try Data("step 1".utf8).write(to: ck)
        progress(CellProgress(phase: "train", done: 1, total: 1))
        if sleepSeconds > 0 { Thread.sleep(forTimeInterval: sleepSeconds) }
        if failLabels.contains(cell.gridLabel ?? cell.methodLabel) { throw Boom(description: "boom in \(cell.gridLabel ?? cell.methodLabel)") }
        let metrics = cell.benchmarks.flatMap { b in
            [MetricRecord(benchmark: b.name, value: FakeExecutor.score(cell.configHash, b.name), n: 10, settings: b.json),
             MetricRecord(benchmark: b.name, subset: "part-a", value: 0.5, n: 5)]
        }
        return CellOutcome(metrics: metrics,
                           samples: (0..<3).map { StoredSample(benchmark: "bbh", subset: "part-a", index: $0, prediction: "A", target: "A", correct: true) },
                           lossCurve: [LossPoint(step: 1, loss: 2.0, split: "query"), LossPoint(step: 2, loss: 1.5, split: "query")],
                           optimizerSteps: cell.hyper["iterations"]?.intValue ?? 1, samplesProcessed: cell.cost.trainSamples,
                           tokensProcessed: cell.cost.trainSamples * 10, wallSeconds: 0.01,
                           adapterPath: checkpointDir.appendingPathComponent("adapter.safetensors").path,
                           trainingRecord: FakeExecutor.trainingRecord(cell))
    }

    /// A trainer record shaped like the real one (strings, and budget ids as a JSON object).
    static func trainingRecord(_ cell: ResolvedCell) -> JSONValue {
        .object(["selection": .string(cell.selection),
                 "budget_ids": .object(["gsm8k": .array([.string("gsm8k:\(cell.configHash.prefix(6))")])])])
    }
}
