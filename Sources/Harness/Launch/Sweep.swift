// `metalora sweep SPEC --profile P [--jobs J]`: runs a spec's missing cells J at a time, each in its
// own `metalora run-cell` process with a thread budget of cores / J. The Slurm backend is in Slurm/.
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
