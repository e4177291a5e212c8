// `metalora sweep SPEC --profile P [--jobs J] [--backend local|slurm]`: runs a spec's missing cells
// J at a time, each in its own `metalora run-cell` process with a thread budget of cores / J, or
// writes a slurm array script whose task i runs cell i into results/shards/i.sqlite.
import Foundation
import Models

public struct SweepSummary: Equatable {
    public var launched = 0
    public var alreadyDone = 0
    public var succeeded = 0
    public var failed: [String] = []
    public init() {}
}

public enum LocalSweep {
    /// Launches `executable run-cell …` for every cell not yet done, `jobs` at a time. Each child gets
    /// --threads T and METALORA_THREADS/OPENBLAS_NUM_THREADS=T with T = max(1, totalThreads / jobs);
    /// its output goes to <checkpoints>/<hash>/run-cell.log.
    public static func run(cells: [ResolvedCell], specPath: String, profile: String, profilesPath: String? = nil, model: String? = nil,
                           store: ResultsStore, paths: HarnessPaths, jobs: Int, executable: URL,
                           totalThreads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           environment: [String: String] = [:], log: @escaping (String) -> Void = { print($0) }) throws -> SweepSummary {
        var summary = SweepSummary()
        var pending: [ResolvedCell] = []
        var modelHashes: [String: String?] = [:]
        for c in cells {
            if modelHashes[c.model] == nil { modelHashes[c.model] = .some(try? ModelFingerprint.sha256(of: URL(fileURLWithPath: c.model))) }
            let found = try store.doneRun(configHash: c.configHash, currentModelSHA256: modelHashes[c.model]!)
            if let retired = found.retired {
                log("cell \(c.index) \(c.methodLabel): model file \(c.model) changed since run \(retired.id): marked stale, running it again")
            }
            if found.done != nil { summary.alreadyDone += 1 } else { pending.append(c) }
        }
        let threads = max(1, totalThreads / max(1, jobs))
        log("sweep: \(cells.count) cells, \(summary.alreadyDone) done, \(pending.count) to run, \(jobs) at a time with \(threads) thread(s) each")
        var running: [(Process, ResolvedCell, Date, FileHandle)] = []
        var finishedSeconds: [Double] = []
        var next = 0
        while next < pending.count || !running.isEmpty {
            while running.count < max(1, jobs) && next < pending.count {
                let c = pending[next]; next += 1
                let a = RunCellArguments(spec: specPath, profile: profile, profiles: profilesPath, model: model, cellIndex: c.index,
                                         cellHash: c.configHash, db: store.path, threads: threads, checkpoints: paths.checkpoints.path)
                let p = Process()
                p.executableURL = executable
                p.arguments = a.argv
                p.currentDirectoryURL = paths.root
                var env = ProcessInfo.processInfo.environment
                for (k, v) in environment { env[k] = v }
                env["METALORA_THREADS"] = String(threads); env["OPENBLAS_NUM_THREADS"] = String(threads)
                p.environment = env
                let logDir = paths.checkpoints.appendingPathComponent(c.configHash)
                try FileManager.default.createDirectory(at: logDir, withIntermediateDirectories: true)
                let logURL = logDir.appendingPathComponent("run-cell.log")
                _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
                let fh = try FileHandle(forWritingTo: logURL)
                p.standardOutput = fh; p.standardError = fh
                try p.run()
                summary.launched += 1
                log("start cell \(c.index) \(c.methodLabel) budget=\(c.budget)\(c.gridLabel.map { " grid=\($0)" } ?? "") (pid \(p.processIdentifier))")
                running.append((p, c, Date(), fh))
            }
            Thread.sleep(forTimeInterval: 0.05)
            var still: [(Process, ResolvedCell, Date, FileHandle)] = []
            for (p, c, start, fh) in running {
                if p.isRunning { still.append((p, c, start, fh)); continue }
                try? fh.close()
                let wall = Date().timeIntervalSince(start)
                finishedSeconds.append(wall)
                if p.terminationStatus == 0, (try? store.doneRun(configHash: c.configHash)) != nil {
                    summary.succeeded += 1
                } else {
                    summary.failed.append("cell \(c.index) \(c.methodLabel): exit \(p.terminationStatus), see \(paths.checkpoints.appendingPathComponent(c.configHash).path)/run-cell.log")
                }
                let left = pending.count - summary.succeeded - summary.failed.count
                let avg = finishedSeconds.reduce(0, +) / Double(finishedSeconds.count)
                log("done cell \(c.index) in \(Runner.formatDuration(wall)) — \(summary.succeeded + summary.failed.count) finished, \(left) left, ETA \(Runner.formatDuration(avg * Double(left) / Double(max(1, jobs))))")
            }
            running = still
        }
        return summary
    }
}

public enum SlurmBackend {
    /// Writes an sbatch array script: task i runs `run-cell --cell-index i` into shards/i.sqlite.
    /// The script is plain bash: with SLURM_ARRAY_TASK_ID set it runs outside slurm too.
    @discardableResult
    public static func writeScript(to url: URL, cells: [ResolvedCell], specPath: String, profile: String, profilesPath: String? = nil,
                                   model: String? = nil, paths: HarnessPaths, executable: String, cpusPerTask: Int = 4,
                                   timeLimit: String = "24:00:00", partition: String? = nil) throws -> URL {
        precondition(!cells.isEmpty, "no cells to run")
        var template = RunCellArguments(spec: specPath, profile: profile, profiles: profilesPath, model: model, cellIndex: 0,
                                        db: "SHARD", threads: nil, checkpoints: paths.checkpoints.path).argv
        template = template.map { $0 == "SHARD" ? "\(paths.shards.path)/${i}.sqlite" : $0 }
        if let k = template.firstIndex(of: "--cell-index") { template[k + 1] = "${i}" }
        let quoted = template.map { "\"\($0)\"" }.joined(separator: " ")
        var s = "#!/bin/bash\n"
        s += "# Generated by metalora sweep --backend slurm: \(cells.count) cells of \(specPath) on profile \(profile).\n"
        s += "# Submit with: sbatch \(url.lastPathComponent)   then: metalora results merge --shards \(paths.shards.path)\n"
        s += "#SBATCH --job-name=metalora-\(cells[0].spec)\n#SBATCH --array=0-\(cells.count - 1)\n#SBATCH --cpus-per-task=\(cpusPerTask)\n#SBATCH --time=\(timeLimit)\n"
        if let p = partition { s += "#SBATCH --partition=\(p)\n" }
        s += "#SBATCH --output=\(paths.shards.path)/slurm-%A_%a.out\n"
        s += "set -euo pipefail\ncd \"\(paths.root.path)\"\n"
        s += "METALORA=\"${METALORA:-\(executable)}\"\n"
        s += "i=\"${SLURM_ARRAY_TASK_ID:?run as a slurm array task, or set SLURM_ARRAY_TASK_ID}\"\n"
        s += "export METALORA_THREADS=\"${SLURM_CPUS_PER_TASK:-\(cpusPerTask)}\"\nexport OPENBLAS_NUM_THREADS=\"$METALORA_THREADS\"\n"
        s += "mkdir -p \"\(paths.shards.path)\"\n"
        s += "# cell hashes, by index, to check the plan has not changed since this script was written:\n"
        for c in cells { s += "#   \(c.index) \(c.configHash) \(c.methodLabel) budget=\(c.budget)\(c.gridLabel.map { " grid=\($0)" } ?? "") seed=\(c.seed)\n" }
        s += "exec \"$METALORA\" \(quoted) --threads \"$METALORA_THREADS\"\n"
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(s.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }
}

public struct MergeSummary: Equatable {
    public var shards = 0
    public var copied = 0
    public var alreadyPresent = 0
    public init(shards: Int = 0, copied: Int = 0, alreadyPresent: Int = 0) { self.shards = shards; self.copied = copied; self.alreadyPresent = alreadyPresent }
}

public enum ShardMerge {
    /// Folds every finished run of every shard (*.sqlite in `shardsDir`) into `store`. Idempotent:
    /// a config already done in the store is skipped, so merging twice never double counts.
    public static func merge(shardsDir: URL, into store: ResultsStore) throws -> MergeSummary {
        var s = MergeSummary()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: shardsDir.path)) ?? []
        for f in files.sorted() where f.hasSuffix(".sqlite") {
            let shard = try ResultsStore(path: shardsDir.appendingPathComponent(f).path)
            s.shards += 1
            for run in try shard.runs(status: "done") {
                if try store.importDoneRun(run, outcome: try shard.outcome(of: run)) { s.copied += 1 } else { s.alreadyPresent += 1 }
            }
        }
        return s
    }
}
