// The runner: for each resolved cell, skip it if its config hash is done, claim it, execute it
// through the CellExecutor, and store the outcome in one transaction (or the error on failure).
import Foundation
import Engine
import Models

public struct RunSummary: Equatable, CustomStringConvertible {
    public var ran = 0
    public var skipped = 0
    public var failed = 0
    /// Cells another live process was running.
    public var busy = 0
    public var recoveredCrashed = 0
    public var failures: [String] = []
    public init(ran: Int = 0, skipped: Int = 0, failed: Int = 0, busy: Int = 0, recoveredCrashed: Int = 0, failures: [String] = []) {
        self.ran = ran; self.skipped = skipped; self.failed = failed; self.busy = busy
        self.recoveredCrashed = recoveredCrashed; self.failures = failures
    }

    /// One line for people: "2 cells run, 1 already done, 0 failed, 0 running elsewhere", then each failure.
    public var description: String {
        var line = "\(ran) cell\(ran == 1 ? "" : "s") run, \(skipped) already done, \(failed) failed, \(busy) running elsewhere"
        if recoveredCrashed > 0 { line += ", \(recoveredCrashed) crashed run(s) recovered" }
        return ([line] + failures.map { "failed: " + $0 }).joined(separator: "\n")
    }
}

public final class Runner {
    public let store: ResultsStore
    public let executor: CellExecutor
    /// Checkpoints live in checkpointRoot/<config hash>/, so a re-run of an interrupted cell resumes.
    public let checkpointRoot: URL
    public let codeVersion: String
    public let threads: Int
    public let log: (String) -> Void
    /// Set by the CLI: a signal marks the executing run interrupted before the process exits.
    public var interruption: RunInterruption?
    private var modelHashes: [String: String] = [:]

    public init(store: ResultsStore, executor: CellExecutor, checkpointRoot: URL, codeVersion: String,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, log: @escaping (String) -> Void = { print($0) }) {
        self.store = store; self.executor = executor; self.checkpointRoot = checkpointRoot
        self.codeVersion = codeVersion; self.threads = threads; self.log = log
    }

    public func checkpointDir(for cell: ResolvedCell) -> URL { checkpointRoot.appendingPathComponent(cell.configHash) }

    /// Runs the missing cells in order; progress lines show the cell, done/left and an ETA.
    @discardableResult
    public func run(_ cells: [ResolvedCell]) throws -> RunSummary {
        var summary = RunSummary()
        var executedSeconds: [Double] = []
        for (i, cell) in cells.enumerated() {
            let left = cells.count - i
            let eta: String = executedSeconds.isEmpty ? "?" :
                Runner.formatDuration(executedSeconds.reduce(0, +) / Double(executedSeconds.count) * Double(left))
            let name = "\(cell.spec)/\(cell.methodLabel) budget=\(cell.budget)\(cell.gridLabel.map { " grid=\($0)" } ?? "") seed=\(cell.seed)"
            let modelHash = try? modelSHA256(cell.model)
            // A done cell whose model file has changed since is run again rather than skipped: its
            // old run is kept, marked stale, and this says so.
            if let retired = try store.doneRun(configHash: cell.configHash, currentModelSHA256: modelHash).retired {
                log("[\(i + 1)/\(cells.count)] \(name): model file \(cell.model) changed since run \(retired.id) "
                    + "(sha256 \(retired.modelSHA256?.prefix(12) ?? "?") → \(modelHash?.prefix(12) ?? "?")): run \(retired.id) marked stale, running the cell again")
            }
            let claim = try store.claim(cell, codeVersion: codeVersion, modelSHA256: modelHash)
            switch claim {
            case .alreadyDone:
                summary.skipped += 1
                log("[\(i + 1)/\(cells.count)] skip \(name): done (\(cell.configHash.prefix(12)))")
            case .busy(_, let pid):
                summary.busy += 1
                log("[\(i + 1)/\(cells.count)] skip \(name): running in process \(pid)")
            case .claimed(let runID, let crashed):
                summary.recoveredCrashed += crashed.count
                if !crashed.isEmpty { log("  marked crashed run(s) \(crashed.map(String.init).joined(separator: ", ")) failed; re-running") }
                log("[\(i + 1)/\(cells.count)] run \(name) — \(summary.ran + summary.skipped + summary.failed) done, \(left) left, ETA \(eta)")
                let start = Date()
                let dir = checkpointDir(for: cell)
                interruption?.begin(store: store, runID: runID)
                defer { interruption?.end() }
                do {
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    // A progress line at most every 10 s per phase (and at each phase's end), with the
                    // phase's own rate and ETA; the cell line above carries cells done/left.
                    var lastLine = Date.distantPast, phaseStart = Date(), phase = "", finished = ""
                    let outcome = try executor.execute(cell, checkpointDir: dir, threads: threads) { [log] p in
                        if p.phase != phase { phase = p.phase; phaseStart = Date() }
                        if p.done == p.total { guard finished != p.phase else { return }; finished = p.phase }
                        guard Date().timeIntervalSince(lastLine) >= 10 || p.done == p.total else { return }
                        lastLine = Date()
                        let elapsed = Date().timeIntervalSince(phaseStart)
                        let rate = ProgressRate.perSecond(Double(p.done), elapsed: elapsed)
                        let eta = ProgressRate.eta(remaining: Double(p.total - p.done), rate: rate)
                        log("    \(p.phase) \(p.done)/\(p.total)" + (rate.map { String(format: "  %.2f/s", $0) } ?? "")
                            + (p.done == p.total ? "  in " + Runner.formatDuration(elapsed) : "  ETA " + (eta.map { Runner.formatDuration($0) } ?? "?")))
                    }
                    let wall = Date().timeIntervalSince(start)
                    try store.finish(runID: runID, outcome: outcome, wallSeconds: wall)
                    executedSeconds.append(wall)
                    summary.ran += 1
                } catch let e as StoreError {
                    throw e
                } catch {
                    let wall = Date().timeIntervalSince(start)
                    try store.fail(runID: runID, error: "\(error)", wallSeconds: wall)
                    executedSeconds.append(wall)
                    summary.failed += 1
                    summary.failures.append("\(name): \(error)")
                    log("  failed: \(error)")
                }
            }
        }
        log("finished: \(summary.ran) run, \(summary.skipped) already done, \(summary.failed) failed, \(summary.busy) running elsewhere")
        return summary
    }

    /// `ModelFingerprint.sha256` of the model file or folder, cached per path.
    public func modelSHA256(_ path: String) throws -> String {
        if let h = modelHashes[path] { return h }
        let h = try ModelFingerprint.sha256(of: URL(fileURLWithPath: path))
        modelHashes[path] = h
        return h
    }

    public static func formatDuration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", (t % 3600) / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    /// The checkout's code version (CodeVersion: the commit, plus a digest of uncommitted code changes).
    public static func codeVersion(packageRoot: URL) -> String { CodeVersion.of(packageRoot: packageRoot) }
}
