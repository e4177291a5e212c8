// Clean shutdown of `metalora run` and `run-cell`: SIGINT (Ctrl-C) or SIGTERM (kill, Slurm's
// time limit) while a cell runs marks its row `interrupted` before the process exits with
// 128 + the signal number. The checkpoint folder stays, so the next run resumes the cell.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class RunInterruption: @unchecked Sendable {
    private let lock = NSLock()
    private var running: (store: ResultsStore, runID: Int64, started: Date)?
    private var sources: [DispatchSourceSignal] = []
    private let log: (String) -> Void

    /// Takes over SIGINT and SIGTERM for the life of this object. The handlers run on a dispatch
    /// queue, not in signal context, so they may write to the store.
    public init(log: @escaping (String) -> Void) {
        self.log = log
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.stop(signal: signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// The run now executing (nil between cells).
    func begin(store: ResultsStore, runID: Int64) { lock.withLock { running = (store, runID, Date()) } }
    func end() { lock.withLock { running = nil } }

    static func name(of signalNumber: Int32) -> String { signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "signal \(signalNumber)" }

    func stop(signal signalNumber: Int32) {
        // Holding the lock until exit: the main thread cannot finish or fail the row meanwhile.
        lock.lock()
        let name = RunInterruption.name(of: signalNumber)
        if let r = running {
            do {
                try r.store.markInterrupted(runID: r.runID, reason: "interrupted by \(name)", wallSeconds: Date().timeIntervalSince(r.started))
                log("interrupted by \(name): run \(r.runID) marked interrupted; the next run resumes it from its last checkpoint")
            } catch {
                log("interrupted by \(name): could not mark run \(r.runID) interrupted: \(error)")
            }
        } else {
            log("interrupted by \(name)")
        }
        fflush(stdout)
        _exit(128 + signalNumber)
    }
}
