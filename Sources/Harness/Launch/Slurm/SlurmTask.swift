// `metalora slurm-task MANIFEST`: one array task of a Slurm sweep. It takes the cell sweep.json lists
// at $SLURM_ARRAY_TASK_ID, skips it when the main store or any shard already has it done, and
// otherwise runs it by config hash into its own shard (a changed spec is refused by hash). A task
// whose checkout is at another code version than the sweep was written at runs nothing: its shard
// could not be merged into the sweep's results (ShardMerge refuses it).
import Foundation

public enum SlurmTask {
    public enum Outcome: Equatable { case ran(RunSummary), skipped(String) }

    /// The cell of array index `index`, run unless done somewhere already.
    @discardableResult
    public static func run(manifestPath: String, index: Int, executor: CellExecutor, codeVersion: String, handleSignals: Bool = false,
                           log: @escaping (String) -> Void = { print($0) }) throws -> Outcome {
        let manifest = try SweepManifest.read(URL(fileURLWithPath: manifestPath))
        guard manifest.cells.indices.contains(index) else {
            throw SpecError(file: manifestPath, line: 0, field: "SLURM_ARRAY_TASK_ID",
                            message: "array index \(index) is out of range: the sweep has \(manifest.cells.count) cells (0–\(manifest.cells.count - 1))")
        }
        guard codeVersion == manifest.codeVersion else {
            throw SpecError(file: manifestPath, line: 0, field: "code_version",
                            message: "this checkout is at code version \(codeVersion), but the sweep was written at \(manifest.codeVersion); "
                                + "nothing was run. Go back to that code, or write and submit the sweep again (metalora sweep … --backend slurm)")
        }
        let cell = manifest.cells[index]
        if let place = try doneSomewhere(cell.configHash, manifest: manifest) {
            log("slurm-task \(index): cell \(cell.configHash.prefix(12)) \(cell.method) is already done in \(place); nothing to run")
            return .skipped(place)
        }
        let paths = HarnessPaths(root: URL(fileURLWithPath: manifest.root))
        let args = RunCellArguments(spec: manifest.specPath, profile: manifest.profile, profiles: manifest.profilesPath, model: manifest.model,
                                    cellHash: cell.configHash, db: manifest.shardPath(cell), threads: nil, checkpoints: manifest.checkpoints)
        log("slurm-task \(index): cell \(cell.configHash.prefix(12)) \(cell.method) budget=\(cell.budget) seed=\(cell.seed) → \(args.db)")
        // Signals handled: scancel's SIGTERM (and a time limit's) marks the run interrupted, so a resubmitted task resumes it.
        return .ran(try RunCellCommand.run(args, paths: paths, executor: executor, codeVersion: codeVersion, handleSignals: handleSignals, log: log))
    }

    /// Where `hash` is already done: the main store or a shard of the sweep's folder; nil if nowhere.
    /// Only existing files are opened, so a check never creates a store.
    static func doneSomewhere(_ hash: String, manifest: SweepManifest) throws -> String? {
        var candidates = [manifest.store]
        let dir = manifest.shardDirectory
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        candidates += files.filter { $0.hasSuffix(".sqlite") }.sorted().map { dir + "/" + $0 }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            // A shard another task is writing, or one left damaged by a killed task, is no evidence either way.
            guard let store = try? ResultsStore(path: path) else { continue }
            if (try? store.doneRun(configHash: hash)) ?? nil != nil { return path }
        }
        return nil
    }
}
