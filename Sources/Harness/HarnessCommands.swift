// One entry point per CLI subcommand, so the `metalora` executable only parses flags and calls
// these: plan, run, run-cell (RunCellCommand), sweep, table, results, data (compare: CompareCommand).
import Foundation
import ArgumentParser
import Training
import struct Data.DataDirectory

/// `methods` is the method list specs are read against: the standard one, or a caller's that adds
/// methods (README "Extending: adding a method").
public enum HarnessCommands {
    static func load(_ specPath: String, _ profileName: String, profiles: String?, paths: HarnessPaths,
                     methods: MethodCatalog = .standard) throws -> (ExperimentSpec, Profile) {
        let spec = try ExperimentSpec.load(paths.resolve(specPath), methods: methods)
        let profile = try Profile.named(profileName, in: profiles.map(paths.resolve) ?? paths.profiles)
        return (spec, profile)
    }

    /// `metalora plan SPEC --profile P [--model M]`: the resolved cells and their cost; runs nothing.
    /// The cost section (PlanCost) is left out, with the reason, when the model's shape is unknown.
    /// `overrides`: `key=value` words after the spec (`HyperOverrides`, set on every entry whose method has the key).
    public static func plan(spec: String, profile: String, model: String? = nil, profiles: String? = nil, db: String? = nil,
                            cost: PlanCostOptions? = nil, paths: HarnessPaths = .current, methods: MethodCatalog = .standard,
                            overrides: [String] = []) throws -> String {
        let (s, p) = try load(spec, profile, profiles: profiles, paths: paths, methods: methods)
        let cells = try Planner.plan(s, profile: p, model: model, overrides: try hyperOverrides(overrides, spec: s))
        var text = "\(s.name) → \(s.table) (\(s.setting)) on profile \(p.name)\n" + Planner.describe(cells)
        if var options = cost {
            if options.node == nil { options.node = p.node }
            do { text += "\n" + (try PlanCost.estimate(cells, options: options, paths: paths)).describe(cells, arrayTasks: options.arrayTasks) }
            catch { text += "\n\ncost: not estimated: \(error) (give --model-shape llama2-7b|llama2-13b to estimate without the file)" }
        }
        return text + (try PlanPower.section(spec: s, cells: cells, profile: p, model: model, paths: paths, db: db))
    }

    /// `metalora deviations SPEC --profile P [--model M] [--format md|tex]`: the table's
    /// "Protocol and deviations" block alone, from the same resolved plan the runs use.
    public static func deviations(spec: String, profile: String, model: String? = nil, profiles: String? = nil,
                                  format: TableFormat = .markdown, paths: HarnessPaths = .current) throws -> String {
        let (s, p) = try load(spec, profile, profiles: profiles, paths: paths)
        return try DeviationBlock.text(spec: s, profile: p, model: model, format: format)
    }

    /// `metalora run SPEC --profile P [--model M] [--db D] [--threads T] [--checkpoints DIR]`: runs the missing cells in
    /// this process. A scratch --db with its own --checkpoints leaves results/ untouched (e.g. smoke checks).
    public static func run(spec: String, profile: String, model: String? = nil, profiles: String? = nil, db: String? = nil, threads: Int? = nil,
                           checkpoints: String? = nil, executor: CellExecutor, paths: HarnessPaths = .current,
                           methods: MethodCatalog = .standard, overrides: [String] = [],
                           handleSignals: Bool = false, log: @escaping (String) -> Void = { print($0) }) throws -> RunSummary {
        let (s, p) = try load(spec, profile, profiles: profiles, paths: paths, methods: methods)
        let cells = try Planner.plan(s, profile: p, model: model, overrides: try hyperOverrides(overrides, spec: s))
        let store = try ResultsStore(path: db.map { paths.resolve($0).path } ?? paths.store.path)
        let env = ProcessInfo.processInfo.environment["METALORA_THREADS"].flatMap(Int.init)
        let runner = Runner(store: store, executor: executor, checkpointRoot: checkpoints.map(paths.resolve) ?? paths.checkpoints,
                            codeVersion: Runner.codeVersion(packageRoot: paths.root),
                            threads: threads ?? env ?? p.threads ?? ProcessInfo.processInfo.activeProcessorCount, log: log)
        if handleSignals { runner.interruption = RunInterruption(log: log) }
        return try runner.run(cells)
    }

    /// `key=value` words (`plan`/`run SPEC lr=1e-3`) as overrides of every entry whose method has
    /// the key, typed by that key's schema; a key no entry's method has, or a word that is not
    /// key=value, is a usage error (exit 2).
    public static func hyperOverrides(_ words: [String], spec: ExperimentSpec) throws -> HyperOverrides {
        if words.isEmpty { return HyperOverrides() }
        let (positionals, assignments) = try HyperArguments.split(words)
        if let word = positionals.first ?? assignments.first(where: \.isFlag)?.spelling {
            throw ValidationError("'\(word)': hyper-parameter overrides after the spec are key=value (e.g. lr=1e-3)")
        }
        let descriptors = spec.methods.map { Registry.method($0.method, in: spec.catalog)!.descriptor }
        var values: [String: HyperValue] = [:]
        for a in assignments {
            guard let p = descriptors.lazy.compactMap({ $0.parameter(a.name) }).first else {
                let keys = Set(descriptors.flatMap { $0.hyperParameters.map(\.key) }).sorted()
                throw ValidationError("no method of \(spec.name) has a hyper-parameter '\(a.spelling)'; their keys: \(keys.joined(separator: ", "))")
            }
            guard values[p.key] == nil else { throw ValidationError("\(p.key) is given twice") }
            do { values[p.key] = try HyperArguments.parse(a.text ?? "", for: p, spelling: a.spelling) } catch {
                throw ValidationError("\(error)")
            }
        }
        return HyperOverrides(values)
    }

    /// Options of `sweep --backend slurm`.
    public struct SlurmSweepOptions {
        public var resources = SlurmResources()
        public var dryRun = false
        public var status = false
        public var modelShape: String?
        public init() {}
    }

    /// `metalora sweep SPEC --profile P [--jobs J] [--backend local|slurm]`. Local: runs the missing
    /// cells J at a time as `executable run-cell …` subprocesses. Slurm: writes the sweep folder
    /// (SlurmSweep) and submits the cells not yet done or queued, or with --status reports them.
    public static func sweep(spec: String, profile: String, model: String? = nil, profiles: String? = nil, jobs: Int = 1,
                             backend: String = "local", executable: URL, db: String? = nil, slurm: SlurmSweepOptions = SlurmSweepOptions(),
                             paths: HarnessPaths = .current, log: @escaping (String) -> Void = { print($0) }) throws -> (report: String, ok: Bool) {
        let (s, p) = try load(spec, profile, profiles: profiles, paths: paths)
        let cells = try Planner.plan(s, profile: p, model: model)
        let storePath = db.map { paths.resolve($0).path } ?? paths.store.path
        switch backend {
        case "local":
            let store = try ResultsStore(path: storePath)
            let r = try LocalSweep.run(cells: cells, specPath: spec, profile: profile, profilesPath: profiles, model: model, store: store,
                                       paths: paths, jobs: jobs, executable: executable, log: log)
            return ("sweep: \(r.succeeded) succeeded, \(r.alreadyDone) already done, \(r.failed.count) failed"
                + (r.failed.isEmpty ? "" : "\n" + r.failed.joined(separator: "\n")), r.failed.isEmpty)
        case "slurm":
            if slurm.status {
                let manifestURL = SlurmSweep.directory(paths: paths, store: storePath, spec: s.name, profile: p.name).appendingPathComponent(SweepManifest.fileName)
                guard FileManager.default.fileExists(atPath: manifestURL.path) else {
                    throw SpecError(file: spec, line: 0, field: "status", message: "no Slurm sweep of \(s.name) on profile \(p.name) yet (\(manifestURL.path) is missing)")
                }
                return (try SlurmSweep.status(try SweepManifest.read(manifestURL), store: try ResultsStore(path: storePath)), true)
            }
            // The costliest cell sets the default time and memory, at the CPUs each task gets.
            var estimate: (seconds: Double, bytes: Double)?
            var cpuRequest = p.slurm.overridden(by: s.slurm).overridden(by: slurm.resources)
            if cpuRequest.time == nil || cpuRequest.mem == nil {
                let cost: PlanCost
                do { cost = try PlanCost.estimate(cells, options: PlanCostOptions(modelShape: slurm.modelShape), paths: paths) } catch {
                    throw SpecError(file: spec, line: 0, field: "time/mem",
                                    message: "the script's --time and --mem default to plan's estimate, which needs the model's shape (\(error)); give --time and --mem, or --model-shape llama2-7b|llama2-13b")
                }
                let cores = ProcessInfo.processInfo.activeProcessorCount
                cpuRequest.cpusPerTask = cpuRequest.cpusPerTask ?? p.threads ?? cores
                let taskRate = (p.node ?? NodeDescription(cores: cores)).gflops(localRate: cost.localGFLOPS, localCores: cores)
                    / Double(p.node?.cores ?? cores) * Double(cpuRequest.cpusPerTask!)
                estimate = (cost.perCell.map { $0.seconds(gflops: taskRate) }.max() ?? 0, cost.perCell.map(\.peakBytes).max() ?? 0)
            }
            let resources = try SlurmSweep.resources(profile: p, spec: s, flags: slurm.resources, estimate: estimate)
            let written = try SlurmSweep.write(cells: cells, spec: s, profile: p, specPath: spec, profilesPath: profiles, model: model,
                                               store: storePath, paths: paths, resources: resources, executable: executable.path,
                                               codeVersion: Runner.codeVersion(packageRoot: paths.root))
            if slurm.dryRun {
                return ("wrote \(written.script.path) (\(cells.count) array tasks; --time=\(resources.time!) --mem=\(resources.mem!) --cpus-per-task=\(resources.cpusPerTask!)); nothing submitted\n"
                    + "submit: metalora sweep \(spec) --profile \(p.name) --backend slurm   (or: sbatch \(written.script.path))", true)
            }
            return (try SlurmSweep.submit(written, store: try ResultsStore(path: storePath), log: log), true)
        default:
            throw SpecError(file: spec, line: 0, field: "backend", message: "unknown backend '\(backend)'; valid backends: local, slurm")
        }
    }

    /// `metalora table N [--format md|tex] [--diff] --profile P [--model M] [--db D] [--out DIR]`: writes the table files and returns the text.
    public static func table(_ name: String, profile: String, model: String? = nil, profiles: String? = nil, formats: [TableFormat] = [.markdown, .latex],
                             diff: Bool = false, db: String? = nil, out: String? = nil, paths: HarnessPaths = .current,
                             methods: MethodCatalog = .standard) throws -> Tables.Rendered {
        let p = try Profile.named(profile, in: profiles.map(paths.resolve) ?? paths.profiles)
        let table = HarnessPaths.tableName(name)
        let store = table == "table3" ? nil : try ResultsStore(path: db.map { paths.resolve($0).path } ?? paths.store.path, mustExist: true)
        return try Tables.render(table, paths: paths, store: store, profile: p, model: model, formats: formats, diff: diff,
                                 outputDirectory: tablesDirectory(db: db, out: out, paths: paths), methods: methods)
    }

    /// Where `table` writes: --out, else a tables/ folder beside the store given with --db, else results/tables/.
    public static func tablesDirectory(db: String?, out: String?, paths: HarnessPaths) -> URL {
        if let out { return paths.resolve(out) }
        if let db { return paths.resolve(db).deletingLastPathComponent().appendingPathComponent("tables") }
        return paths.tablesOut
    }

    /// `metalora results ls|show ID|export --csv|--json|merge [--shards DIR]`.
    /// `argument` is show's run id or ls's status filter; merge reads `shards`.
    public static func results(_ action: String, argument: String? = nil, shards: String? = nil, db: String? = nil,
                               paths: HarnessPaths = .current) throws -> String {
        // Only merge writes a store that may not exist yet; reading a mistyped --db must not create one.
        let store = try ResultsStore(path: db.map { paths.resolve($0).path } ?? paths.store.path, mustExist: action != "merge")
        // Any other action would ignore the argument silently (a shard folder typed without --shards).
        if let extra = argument, !["show", "ls"].contains(action) {
            let hint = action == "merge" ? " (the shard folder is --shards DIR)" : ""
            throw SpecError(file: "results \(action)", line: 0, field: "argument", message: "takes no argument, got '\(extra)'\(hint)")
        }
        switch action {
        case "ls": return try ResultsCommands.ls(store: store, status: argument)
        case "show":
            guard let a = argument, let id = Int64(a) else { throw SpecError(file: "results show", line: 0, field: "id", message: "give a run id (see metalora results ls)") }
            return try ResultsCommands.show(store: store, runID: id)
        case "export-csv": return try ResultsCommands.exportCSV(store: store)
        case "export-json": return try ResultsCommands.exportJSON(store: store)
        case "merge":
            let m = try ShardMerge.merge(shardsDir: shards.map(paths.resolve) ?? SlurmSweep.shardsRoot(paths: paths, store: store.path), into: store)
            return "merged \(m.shards) shard(s): \(m.copied) run(s) copied, \(m.alreadyPresent) already present"
                + (m.notDone > 0 ? ", \(m.notDone) not finished (running, interrupted or failed; merge again once they are done)" : "")
        case "recover":
            let ids = try store.recoverCrashedRuns()
            return ids.isEmpty ? "no crashed runs" : "marked crashed: \(ids.map(String.init).joined(separator: ", "))"
        default:
            throw SpecError(file: "results", line: 0, field: "action", message: "unknown action '\(action)'; valid: ls, show, export-csv, export-json, merge, recover")
        }
    }

    /// `metalora data verify [--data-dir D]`: (report, ok).
    public static func dataVerify(dataDir: String? = nil, paths: HarnessPaths = .current) throws -> (report: String, ok: Bool) {
        let manifest = try DataManifest.load(paths.dataManifest)
        let dir = dataDir.map(paths.resolve) ?? paths.data
        guard (try? DataDirectory(root: dir).existing()) != nil else {
            return ("\(dir.path): no such data folder: link the mirror there (make setup) or give --data-dir", false)
        }
        let problems = try DataFiles.verify(manifest: manifest, dataDir: dir)
        if problems.isEmpty { return ("\(dir.path): all \(manifest.files.count) files present and intact", true) }
        return ("\(dir.path): \(problems.count) of \(manifest.files.count) files missing or altered\n" + problems.map(\.description).joined(separator: "\n"), false)
    }

    /// `metalora data fetch [--from URL-or-folder] [--data-dir D]`.
    public static func dataFetch(from mirror: String?, dataDir: String? = nil, paths: HarnessPaths = .current,
                                 log: (String) -> Void = { print($0) }) throws -> (report: String, ok: Bool) {
        let manifest = try DataManifest.load(paths.dataManifest)
        let dir = dataDir.map(paths.resolve) ?? paths.data
        let s = try DataFiles.fetch(manifest: manifest, dataDir: dir, mirror: mirror, log: log)
        return ("fetched \(s.fetched.count), already present \(s.present), failed \(s.failed.count)"
                + (s.failed.isEmpty ? "" : "\n" + s.failed.joined(separator: "\n")), s.failed.isEmpty)
    }
}
