// The `metalora run-cell` contract: one cell of a spec, run into a given store. Local sweeps and
// slurm array tasks invoke it as a subprocess:
//   metalora run-cell SPEC.yaml --profile P [--profiles FILE] [--model PATH]
//            (--cell-index I | --cell-hash H | both) --db STORE.sqlite [--threads T] [--checkpoints DIR]
// The thread budget is --threads, else $METALORA_THREADS, else the profile's, else all cores.
import Foundation
import ArgumentParser

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

    /// Parses the arguments after the executable (with or without the leading "run-cell"); a
    /// usage error names the flag and the usage line.
    public static func parse(_ argv: [String]) throws -> RunCellArguments {
        var args = argv
        if args.first == "run-cell" { args.removeFirst() }
        do {
            return try RunCellOptions.parse(args).arguments
        } catch {
            throw SpecError(file: "run-cell", line: 0, field: "", message: RunCellOptions.message(for: error) + "; usage: " + usage)
        }
    }

    public static let usage = "metalora run-cell SPEC --profile P [--profiles FILE] [--model PATH] (--cell-index I | --cell-hash H) --db STORE [--threads T] [--checkpoints DIR]"
}

/// The flags of `metalora run-cell`, parsed by ArgumentParser (the CLI's subcommand embeds them).
public struct RunCellOptions: ParsableArguments {
    @Argument(help: "An experiment spec, e.g. experiments/table8.yaml.") public var spec: String
    @Option(help: "smoke | quick | small | paper (experiments/profiles.yaml).") public var profile: String
    @Option(help: "Another profiles file.") public var profiles: String?
    @Option(help: "Override the profile's model path.") public var model: String?
    @Option(name: .customLong("cell-index"), parsing: .unconditional, help: "The cell's index in the plan.") public var cellIndex: Int?
    @Option(name: .customLong("cell-hash"), help: "The cell's config hash (or a prefix); checked against --cell-index when both are given.")
    public var cellHash: String?
    @Option(help: "The results store to write (a shard of a sweep).") public var db: String
    @Option(parsing: .unconditional, help: "Threads (default $METALORA_THREADS, else the profile's, else all cores).") public var threads: Int?
    @Option(help: "Checkpoint and adapter folders, one per config hash (default results/runs).") public var checkpoints: String?

    public init() {}

    public func validate() throws {
        if cellIndex == nil && cellHash == nil { throw ValidationError("give --cell-index or --cell-hash") }
        if let i = cellIndex, i < 0 { throw ValidationError("--cell-index must be 0 or more (got \(i))") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1 (got \(t))") }
    }

    public var arguments: RunCellArguments {
        RunCellArguments(spec: spec, profile: profile, profiles: profiles, model: model, cellIndex: cellIndex, cellHash: cellHash,
                         db: db, threads: threads, checkpoints: checkpoints)
    }
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
                           handleSignals: Bool = false, log: @escaping (String) -> Void = { print($0) }) throws -> RunSummary {
        let (cell, profile) = try resolve(a, paths: paths)
        let store = try ResultsStore(path: paths.resolve(a.db).path)
        let env = ProcessInfo.processInfo.environment["METALORA_THREADS"].flatMap(Int.init)
        let threads = a.threads ?? env ?? profile.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let runner = Runner(store: store, executor: executor,
                            checkpointRoot: a.checkpoints.map(paths.resolve) ?? paths.checkpoints,
                            codeVersion: codeVersion, threads: threads, log: log)
        if handleSignals { runner.interruption = RunInterruption(log: log) }
        return try runner.run([cell])
    }
}
