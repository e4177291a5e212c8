// `metalora sweep SPEC --backend slurm`: writes the sweep's folder (results/shards/<spec>-<profile>/
// with sweep.json, the array script and room for every task's shard and log), then submits the
// cells that are neither done nor queued with sbatch and records the job in the store.
// `--dry-run` stops after writing; `--status` reports every cell from the store, the shards and squeue.
import Foundation

public enum SlurmSweep {
    public struct Written {
        public let script: URL
        public let manifest: SweepManifest
        public let resources: SlurmResources
    }

    /// Where a sweep into `store` keeps its folders: results/ for the default store, else the
    /// store's own folder, so a scratch --db leaves results/ untouched (as `run --db` and `table` do).
    public static func workRoot(paths: HarnessPaths, store: String) -> URL {
        let s = URL(fileURLWithPath: store).standardizedFileURL
        return s == paths.store.standardizedFileURL ? paths.results : s.deletingLastPathComponent()
    }

    /// The shard folders' parent (what `results merge` reads by default) and the checkpoint folders.
    public static func shardsRoot(paths: HarnessPaths, store: String) -> URL { workRoot(paths: paths, store: store).appendingPathComponent("shards") }
    public static func checkpoints(paths: HarnessPaths, store: String) -> URL { workRoot(paths: paths, store: store).appendingPathComponent("runs") }

    public static func directory(paths: HarnessPaths, store: String, spec: String, profile: String) -> URL {
        shardsRoot(paths: paths, store: store).appendingPathComponent("\(spec)-\(profile)")
    }

    /// Resources: the profile's, then the spec's, then the flags; CPUs default to the profile's threads,
    /// time and memory to the estimate of the costliest cell (time ×1.5 + 10 min, memory ×1.25 + 256 MiB).
    public static func resources(profile: Profile, spec: ExperimentSpec, flags: SlurmResources,
                                 estimate: (seconds: Double, bytes: Double)?) throws -> SlurmResources {
        var r = profile.slurm.overridden(by: spec.slurm).overridden(by: try flags.validated())
        if r.cpusPerTask == nil { r.cpusPerTask = profile.threads ?? ProcessInfo.processInfo.activeProcessorCount }
        if r.time == nil {
            guard let e = estimate else { throw SpecError(file: spec.file, line: 0, field: "time", message: "no time estimate for these cells: give --time") }
            r.time = SlurmResources.formatTime(seconds: e.seconds * 1.5 + 600)
        }
        if r.mem == nil {
            guard let e = estimate else { throw SpecError(file: spec.file, line: 0, field: "mem", message: "no memory estimate for these cells: give --mem") }
            r.mem = SlurmResources.formatMem(bytes: e.bytes * 1.25 + 256 * 1_048_576)
        }
        return r
    }

    /// Creates the sweep folder, the checkpoint folder and the store's folder, and writes sweep.json
    /// and the script. Nothing is submitted.
    public static func write(cells: [ResolvedCell], spec: ExperimentSpec, profile: Profile, specPath: String, profilesPath: String?,
                             model: String?, store: String, paths: HarnessPaths, resources: SlurmResources, executable: String,
                             codeVersion: String) throws -> Written {
        guard !cells.isEmpty else { throw SpecError(file: specPath, line: 0, field: "methods", message: "the plan has no cells") }
        let dir = directory(paths: paths, store: store, spec: spec.name, profile: profile.name)
        let checkpointRoot = checkpoints(paths: paths, store: store)
        let fm = FileManager.default
        for d in [dir, checkpointRoot, URL(fileURLWithPath: store).deletingLastPathComponent()] {
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
        }
        let manifest = SweepManifest(spec: spec.name, specPath: paths.resolve(specPath).path, profile: profile.name,
                                     profilesPath: profilesPath.map { paths.resolve($0).path }, model: model, root: paths.root.path,
                                     store: store, shardDirectory: dir.path, checkpoints: checkpointRoot.path,
                                     codeVersion: codeVersion, cells: cells)
        let manifestURL = dir.appendingPathComponent(SweepManifest.fileName)
        try refuseMixingCodeVersions(manifestURL, codeVersion: codeVersion)
        try manifest.write(to: manifestURL)
        let script = dir.appendingPathComponent("sweep.sbatch")
        let text = try SlurmScript.text(manifest: manifest, manifestPath: manifestURL.path, resources: resources, executable: executable)
        try Data(text.utf8).write(to: script, options: .atomic)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return Written(script: script, manifest: manifest, resources: resources)
    }

    /// A folder whose shards hold finished runs of the code version its sweep.json names keeps that
    /// sweep.json: rewritten with another version, those runs would count as done (so never rerun)
    /// yet be refused by every merge.
    static func refuseMixingCodeVersions(_ manifestURL: URL, codeVersion: String) throws {
        guard FileManager.default.fileExists(atPath: manifestURL.path) else { return }
        let old = try SweepManifest.read(manifestURL)
        guard old.codeVersion != codeVersion else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: old.shardDirectory)) ?? []
        let finished = names.filter { $0.hasSuffix(".sqlite") }.sorted().filter { name in
            guard let shard = try? ResultsStore(path: old.shardDirectory + "/" + name) else { return false }
            return ((try? shard.runs(status: "done")) ?? []).isEmpty == false
        }
        guard !finished.isEmpty else { return }
        throw SpecError(file: manifestURL.path, line: 0, field: "code_version",
                        message: "\(finished.count) shard(s) in \(old.shardDirectory) hold runs finished at code version \(old.codeVersion), "
                            + "but this checkout is at \(codeVersion): merge them (metalora results merge --shards \(old.shardDirectory)), "
                            + "then move that folder away before sweeping with this code, or go back to \(old.codeVersion)")
    }

    public enum CellState: String, CaseIterable { case done, running, pending, failed, unsubmitted = "not submitted" }

    /// Each cell's state: done (main store or a shard), else running/pending in squeue, else failed
    /// (submitted, no longer queued, not done), else not submitted.
    public static func states(_ manifest: SweepManifest, store: ResultsStore) throws -> [CellState] {
        let jobs = try store.slurmJobs(spec: manifest.spec, profile: manifest.profile)
        let queued = try SlurmClient.queued(jobs: jobs.map(\.jobID))
        let submitted = Set(jobs.flatMap { SlurmClient.arrayIndices("0_[\($0.array)]") })
        return try manifest.cells.map { c in
            if try store.doneRun(configHash: c.configHash) != nil || (try SlurmTask.doneSomewhere(c.configHash, manifest: manifest)) != nil { return .done }
            switch queued[c.index] {
            case "RUNNING"?, "COMPLETING"?, "CONFIGURING"?: return .running
            case .some: return .pending
            case nil: return submitted.contains(c.index) ? .failed : .unsubmitted
            }
        }
    }

    /// Submits every cell that is neither done nor queued (so failed cells go again, alone); returns a report.
    public static func submit(_ w: Written, store: ResultsStore, log: (String) -> Void) throws -> String {
        let states = try states(w.manifest, store: store)
        let todo = w.manifest.cells.indices.filter { states[$0] == .failed || states[$0] == .unsubmitted }
        let done = states.filter { $0 == .done }.count, queued = states.filter { $0 == .running || $0 == .pending }.count
        guard !todo.isEmpty else {
            return "nothing to submit: \(done) of \(states.count) cells done, \(queued) queued or running\nscript: \(w.script.path)"
        }
        let array = SlurmClient.arrayList(todo)
        let job = try SlurmClient.submit(script: w.script.path, array: array + (w.resources.throttle.map { "%\($0)" } ?? ""))
        try store.recordSlurmJob(jobID: job, spec: w.manifest.spec, profile: w.manifest.profile, shardDirectory: w.manifest.shardDirectory,
                                 array: array, script: w.script.path)
        return "submitted job \(job): \(todo.count) array task(s) [\(array)] of \(states.count) cells (\(done) done, \(queued) already queued)\n"
            + "script: \(w.script.path)\nstatus: metalora sweep SPEC --profile \(w.manifest.profile) --backend slurm --status\n"
            + "merge:  metalora results merge --shards \(w.manifest.shardDirectory)"
    }

    /// One line per cell and the counts per state.
    public static func status(_ manifest: SweepManifest, store: ResultsStore) throws -> String {
        let states = try states(manifest, store: store)
        let jobs = try store.slurmJobs(spec: manifest.spec, profile: manifest.profile)
        var lines = ["sweep \(manifest.spec) on profile \(manifest.profile): \(manifest.cells.count) cells; jobs: "
                     + (jobs.isEmpty ? "none submitted" : jobs.map { "\($0.jobID) [\($0.array)]" }.joined(separator: ", "))]
        for (c, s) in zip(manifest.cells, states) {
            lines.append("  \(c.index)  \(c.configHash.prefix(12))  \(c.method)  budget=\(c.budget)\(c.grid.map { " grid=\($0)" } ?? "") seed=\(c.seed)  \(s.rawValue)")
        }
        lines.append(CellState.allCases.map { st in "\(states.filter { $0 == st }.count) \(st.rawValue)" }.joined(separator: ", "))
        if states.contains(.failed) { lines.append("failed cells: see \(manifest.shardDirectory)/slurm-*.out; submit again to rerun them alone") }
        return lines.joined(separator: "\n")
    }
}
