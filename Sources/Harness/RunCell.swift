// The `metalora run-cell` contract: one cell of a spec, run into a given store. Local sweeps and
// slurm array tasks invoke it as a subprocess:
//   metalora run-cell SPEC.yaml --profile P [--profiles FILE] [--model PATH]
//            (--cell-index I | --cell-hash H | both) --db STORE.sqlite [--threads T] [--checkpoints DIR]
// The thread budget is --threads, else $METALORA_THREADS, else the profile's, else all cores.
import Foundation

public struct RunCellArguments: Equatable, Sendable {
    public var spec: String
    public var profile: String
    public var profiles: String?
    public var model: String?
    public var cellIndex: Int?
    public var cellHash: String?
    public var db: String
    public var threads: Int?
    public var checkpoints: String?

    public init(spec: String, profile: String, profiles: String? = nil, model: String? = nil, cellIndex: Int? = nil,
                cellHash: String? = nil, db: String, threads: Int? = nil, checkpoints: String? = nil) {
        self.spec = spec; self.profile = profile; self.profiles = profiles; self.model = model; self.cellIndex = cellIndex
        self.cellHash = cellHash; self.db = db; self.threads = threads; self.checkpoints = checkpoints
    }

    /// The argument vector after the executable, starting with "run-cell".
    public var argv: [String] {
        var a = ["run-cell", spec, "--profile", profile]
        if let p = profiles { a += ["--profiles", p] }
        if let m = model { a += ["--model", m] }
        if let i = cellIndex { a += ["--cell-index", String(i)] }
        if let h = cellHash { a += ["--cell-hash", h] }
        a += ["--db", db]
        if let t = threads { a += ["--threads", String(t)] }
        if let c = checkpoints { a += ["--checkpoints", c] }
        return a
    }

    /// Parses the arguments after the executable (with or without the leading "run-cell").
    public static func parse(_ argv: [String]) throws -> RunCellArguments {
        var args = argv
        if args.first == "run-cell" { args.removeFirst() }
        func fail(_ m: String) -> SpecError { SpecError(file: "run-cell", line: 0, field: "", message: m + "; usage: " + usage) }
        var spec: String?, values: [String: String] = [:]
        var i = 0
        let flags = ["--profile", "--profiles", "--model", "--cell-index", "--cell-hash", "--db", "--threads", "--checkpoints"]
        while i < args.count {
            let a = args[i]
            if flags.contains(a) {
                guard i + 1 < args.count else { throw fail("\(a) needs a value") }
                values[a] = args[i + 1]; i += 2
            } else if a.hasPrefix("--") { throw fail("unknown option \(a)")
            } else if spec == nil { spec = a; i += 1
            } else { throw fail("unexpected argument \(a)") }
        }
        guard let s = spec else { throw fail("missing SPEC") }
        guard let p = values["--profile"] else { throw fail("missing --profile") }
        guard let db = values["--db"] else { throw fail("missing --db") }
        func int(_ k: String) throws -> Int? {
            guard let v = values[k] else { return nil }
            guard let n = Int(v), n >= 0 else { throw fail("\(k) needs a non-negative integer, found \(v)") }
            return n
        }
        let r = RunCellArguments(spec: s, profile: p, profiles: values["--profiles"], model: values["--model"], cellIndex: try int("--cell-index"),
                                 cellHash: values["--cell-hash"], db: db, threads: try int("--threads"), checkpoints: values["--checkpoints"])
        if r.cellIndex == nil && r.cellHash == nil { throw fail("give --cell-index or --cell-hash") }
        return r
    }

    public static let usage = "metalora run-cell SPEC --profile P [--profiles FILE] [--model PATH] (--cell-index I | --cell-hash H) --db STORE [--threads T] [--checkpoints DIR]"
}

public enum RunCellCommand {
    /// Resolves the one cell the arguments name (index and hash must agree when both are given).
    public static func resolve(_ a: RunCellArguments, paths: HarnessPaths) throws -> (ResolvedCell, Profile) {
        let spec = try ExperimentSpec.load(paths.resolve(a.spec))
        let profile = try Profile.named(a.profile, in: a.profiles.map(paths.resolve) ?? paths.profiles)
        let cells = try Planner.plan(spec, profile: profile, model: a.model)
        var cell: ResolvedCell?
        if let i = a.cellIndex {
            guard i < cells.count else { throw SpecError(file: a.spec, line: 0, field: "cell-index", message: "index \(i) out of range: the plan has \(cells.count) cells on profile \(profile.name)") }
            cell = cells[i]
            if let h = a.cellHash, !cells[i].configHash.hasPrefix(h) {
                throw SpecError(file: a.spec, line: 0, field: "cell-hash", message: "cell \(i) now hashes to \(cells[i].configHash), not \(h): the spec or profile changed since the sweep was planned")
            }
        } else if let h = a.cellHash {
            let found = cells.filter { $0.configHash.hasPrefix(h) }
            guard found.count == 1 else { throw SpecError(file: a.spec, line: 0, field: "cell-hash", message: "\(found.count) cells match hash \(h)") }
            cell = found[0]
        }
        return (cell!, profile)
    }

    /// Runs the cell into the store named by --db with the executor the CLI provides.
    @discardableResult
    public static func run(_ a: RunCellArguments, paths: HarnessPaths, executor: CellExecutor, codeVersion: String,
                           log: @escaping (String) -> Void = { print($0) }) throws -> RunSummary {
        let (cell, profile) = try resolve(a, paths: paths)
        let store = try ResultsStore(path: paths.resolve(a.db).path)
        let env = ProcessInfo.processInfo.environment["METALORA_THREADS"].flatMap(Int.init)
        let threads = a.threads ?? env ?? profile.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let runner = Runner(store: store, executor: executor,
                            checkpointRoot: a.checkpoints.map(paths.resolve) ?? paths.checkpoints,
                            codeVersion: codeVersion, threads: threads, log: log)
        return try runner.run([cell])
    }
}
