// The results store (results/metalora.sqlite): every run, its metrics, per-sample records, loss
// curve and artifacts. Several processes write at once (local sweeps): WAL, a busy timeout and one
// short transaction per state change, so `kill -9` at any moment loses no finished result.
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum StoreError: Error, CustomStringConvertible, Equatable {
    case newerSchema(path: String, found: [String], known: [String])
    case locked(path: String, timeout: Double)
    case diskFull(path: String)
    case notADatabase(path: String, detail: String)
    case sqlite(path: String, detail: String)
    case unknownRun(Int64)
    /// A read command was pointed at a store that does not exist (nothing is created).
    case missing(path: String)
    /// SQLite could not open or create the file: `reason` says why (a folder, an unwritable folder, …).
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .newerSchema(let p, let found, let known):
            return "\(p) was written by a newer metalora (schema migrations \(found.joined(separator: ", ")); this build knows \(known.joined(separator: ", "))): update metalora or use another --db"
        case .locked(let p, let t):
            return "\(p) is locked by another process (waited \(t) s): retry, or stop the other writer"
        case .diskFull(let p): return "\(p): disk full while writing; the transaction was rolled back and the store is unchanged"
        case .notADatabase(let p, let d): return "\(p) is not a metalora results database: \(d)"
        case .sqlite(let p, let d): return "\(p): \(d)"
        case .unknownRun(let id): return "no run with id \(id)"
        case .missing(let p): return "no results store at \(p): check --db, or run a spec first (metalora run SPEC) to create it"
        case .cannotOpen(let p, let reason): return "cannot open the results store \(p): \(reason)"
        }
    }
}

public struct RunRecord: Equatable, Sendable {
    public var id: Int64
    public var configHash: String
    public var configJSON: String
    public var labelsJSON: String
    public var spec: String
    public var table: String
    public var methodLabel: String
    public var method: String
    public var setting: String
    public var budget: String
    public var gridLabel: String?
    public var modelPath: String
    public var modelSHA256: String?
    public var profile: String
    public var seed: Int
    public var codeVersion: String
    public var status: String
    public var pid: Int?
    public var host: String?
    public var startedAt: String
    public var finishedAt: String?
    public var wallSeconds: Double?
    public var optimizerSteps: Int?
    public var samples: Int?
    public var tokens: Int?
    public var error: String?
    /// The trainer's record (data plan, budget ids, selection) as JSON; nil when nothing was trained.
    public var trainingRecordJSON: String?

    init(row: Row) {
        id = row["id"]; configHash = row["config_hash"]; configJSON = row["config_json"]; labelsJSON = row["labels_json"]
        spec = row["spec"]; table = row["table_name"]; methodLabel = row["method_label"]; method = row["method"]
        setting = row["setting"]; budget = row["budget"]; gridLabel = row["grid_label"]; modelPath = row["model_path"]
        modelSHA256 = row["model_sha256"]; profile = row["profile"]; seed = row["seed"]; codeVersion = row["code_version"]
        status = row["status"]; pid = row["pid"]; host = row["host"]; startedAt = row["started_at"]; finishedAt = row["finished_at"]
        wallSeconds = row["wall_s"]; optimizerSteps = row["optimizer_steps"]; samples = row["samples"]; tokens = row["tokens"]
        error = row["error"]; trainingRecordJSON = row["training_record_json"]
    }

    /// The trainer's record as a JSON object (nil when nothing was trained).
    public var trainingRecord: JSONValue? { trainingRecordJSON.flatMap { try? JSONValue.parse($0) } }

    /// Overrides recorded by the profile (from the labels JSON).
    public var overrides: [String] {
        guard let l = try? JSONValue.parse(labelsJSON), case .array(let a)? = l["overrides"] else { return [] }
        return a.compactMap(\.stringValue)
    }
}

/// The outcome of trying to claim a cell for running.
public enum Claim: Equatable {
    case alreadyDone(runID: Int64)
    /// Another live process is running it.
    case busy(runID: Int64, pid: Int)
    /// This process now owns the new run; `recoveredCrashed` lists stale running runs marked failed.
    case claimed(runID: Int64, recoveredCrashed: [Int64])
}

public final class ResultsStore {
    public static let schemaVersion = StoreSchema.migrationIDs.count
    public let path: String
    public let busyTimeout: Double
    let pool: DatabasePool

    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// Opens (creating if needed) and migrates the store. Fails clearly on a newer schema, a file
    /// that is not SQLite, or a database locked beyond `busyTimeout` seconds. `mustExist` (read
    /// commands): a missing file is an error, and neither the file nor its folders are created.
    public init(path: String, busyTimeout: Double = 10, mustExist: Bool = false) throws {
        self.path = path
        self.busyTimeout = busyTimeout
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if isFolder.boolValue { throw StoreError.cannotOpen(path: path, reason: ResultsStore.whyUnopenable(path)) }
        if mustExist && !exists { throw StoreError.missing(path: path) }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "metalora-results"
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch { throw ResultsStore.map(error, path: path, timeout: busyTimeout) }
        try guarded {
            try pool.write { db in
                let known = StoreSchema.migrationIDs
                if try db.tableExists("grdb_migrations") {
                    let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                    let unknown = applied.filter { !known.contains($0) }
                    if !unknown.isEmpty { throw StoreError.newerSchema(path: path, found: applied, known: known) }
                } else if try db.tableExists("runs") == false, try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 > 0 {
                    throw StoreError.newerSchema(path: path, found: ["user_version > 0 without migrations"], known: known)
                }
            }
            try StoreSchema.migrator.migrate(pool)
        }
    }

    // MARK: error mapping

    static func map(_ error: Error, path: String, timeout: Double) -> Error {
        if error is StoreError { return error }
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.locked(path: path, timeout: timeout)
            case .SQLITE_FULL: return StoreError.diskFull(path: path)
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: return StoreError.notADatabase(path: path, detail: e.message ?? "\(e)")
            case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_IOERR:
                return StoreError.cannotOpen(path: path, reason: whyUnopenable(path, detail: e.message ?? "\(e)"))
            default: return StoreError.sqlite(path: path, detail: "\(e)")
            }
        }
        return error
    }

    /// Why SQLite cannot open or write `path`, in terms of the file system: a folder where the file
    /// should be, a missing or unwritable folder (the store and its -wal/-shm files live there), or
    /// an unreadable or read-only file; else SQLite's own message.
    static func whyUnopenable(_ path: String, detail: String = "") -> String {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            return "it is a folder; --db takes a database file, e.g. \(URL(fileURLWithPath: path).appendingPathComponent("metalora.sqlite").path)"
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !fm.fileExists(atPath: dir) { return "its folder \(dir) does not exist and could not be created" }
        if access(dir, W_OK) != 0 {
            return "its folder \(dir) is not writable (SQLite keeps the store and its -wal and -shm files there): "
                + String(cString: strerror(errno))
        }
        if fm.fileExists(atPath: path) {
            if access(path, R_OK) != 0 { return "the file is not readable: " + String(cString: strerror(errno)) }
            if access(path, W_OK) != 0 { return "the file is read-only: " + String(cString: strerror(errno)) }
        }
        return detail.isEmpty ? "SQLite could not open it" : detail
    }

    func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw ResultsStore.map(error, path: path, timeout: busyTimeout) }
    }

    static func now() -> String {
        let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    /// Is `pid` a live process on this host? A run recorded on another host is never judged dead here.
    public static func processIsAlive(pid: Int, host: String?) -> Bool {
        guard host == nil || host == hostName else { return true }
        if pid <= 0 { return false }
        if kill(pid_t(pid), 0) == 0 { return !isZombie(pid: pid) }
        return errno == EPERM
    }

    /// A killed child that its parent has not reaped yet still answers kill(0); /proc says it is a zombie.
    static func isZombie(pid: Int) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let rest = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces)
        return rest.hasPrefix("Z") || rest.hasPrefix("X")
    }

    // MARK: claiming and finishing runs

    /// In one immediate transaction: skip if done; leave it if a live process runs it; otherwise mark
    /// stale `running` rows (their process is gone) failed as crashed and insert a new running row.
    public func claim(_ cell: ResolvedCell, codeVersion: String, modelSHA256: String?,
                      pid: Int = Int(getpid()), host: String = ResultsStore.hostName) throws -> Claim {
        let hash = cell.configHash
        return try guarded {
            try pool.writeWithoutTransaction { db in
                var result: Claim = .alreadyDone(runID: 0)
                try db.inTransaction(.immediate) {
                    if let done = try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE config_hash = ? AND status = 'done'", arguments: [hash]) {
                        result = .alreadyDone(runID: done); return .commit
                    }
                    var crashed: [Int64] = []
                    for row in try Row.fetchAll(db, sql: "SELECT id, pid, host FROM runs WHERE config_hash = ? AND status = 'running'", arguments: [hash]) {
                        let id: Int64 = row["id"], rpid: Int = row["pid"] ?? 0, rhost: String? = row["host"]
                        if rpid != pid || rhost != host, ResultsStore.processIsAlive(pid: rpid, host: rhost) {
                            result = .busy(runID: id, pid: rpid); return .commit
                        }
                        try db.execute(sql: "UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
                                       arguments: [ResultsStore.now(), "crashed: process \(rpid) on \(rhost ?? "?") ended without finishing", id])
                        crashed.append(id)
                    }
                    try db.execute(sql: """
                        INSERT INTO runs (config_hash, config_json, labels_json, spec, table_name, method_label, method, setting, budget,
                                          grid_label, model_path, model_sha256, profile, seed, code_version, status, pid, host, started_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)
                        """, arguments: [hash, cell.configJSON, cell.labels.canonical, cell.spec, cell.table, cell.methodLabel,
                                         cell.method, cell.setting, cell.budget.description, cell.gridLabel, cell.model, modelSHA256,
                                         cell.profile, cell.seed, codeVersion, pid, host, ResultsStore.now()])
                    result = .claimed(runID: db.lastInsertedRowID, recoveredCrashed: crashed)
                    return .commit
                }
                return result
            }
        }
    }

    /// Writes the outcome and marks the run done, all in one transaction.
    public func finish(runID: Int64, outcome: CellOutcome, wallSeconds: Double) throws {
        try guarded {
            try pool.write { db in
                try ResultsStore.insertChildren(db, runID: runID, outcome: outcome)
                try db.execute(sql: """
                    UPDATE runs SET status = 'done', finished_at = ?, wall_s = ?, optimizer_steps = ?, samples = ?, tokens = ?, error = NULL,
                                    training_record_json = ?
                    WHERE id = ?
                    """, arguments: [ResultsStore.now(), wallSeconds, outcome.optimizerSteps, outcome.samplesProcessed,
                                     outcome.tokensProcessed, outcome.trainingRecord?.canonical, runID])
                if db.changesCount == 0 { throw StoreError.unknownRun(runID) }
            }
        }
    }

    static func insertChildren(_ db: Database, runID: Int64, outcome: CellOutcome) throws {
        for m in outcome.metrics {
            try db.execute(sql: "INSERT INTO metrics (run_id, benchmark, subset, metric, value, n, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, m.benchmark, m.subset, m.metric, m.value, m.n, m.settings.canonical])
        }
        for s in outcome.samples {
            try db.execute(sql: "INSERT INTO samples (run_id, benchmark, subset, sample_index, prediction, target, correct, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [runID, s.benchmark, s.subset, s.index, s.prediction, s.target, s.correct ? 1 : 0, s.detail.canonical])
        }
        for p in outcome.lossCurve {
            try db.execute(sql: "INSERT INTO loss_curve (run_id, step, loss, split) VALUES (?, ?, ?, ?)", arguments: [runID, p.step, p.loss, p.split])
        }
        var artifacts = outcome.artifacts
        if let a = outcome.adapterPath { artifacts.insert((kind: "adapter", path: a), at: 0) }
        for a in artifacts {
            try db.execute(sql: "INSERT INTO artifacts (run_id, kind, path) VALUES (?, ?, ?)", arguments: [runID, a.kind, a.path])
        }
    }

    public func fail(runID: Int64, error: String, wallSeconds: Double?) throws {
        try guarded {
            try pool.write { db in
                try db.execute(sql: "UPDATE runs SET status = 'failed', finished_at = ?, wall_s = ?, error = ? WHERE id = ?",
                               arguments: [ResultsStore.now(), wallSeconds, error, runID])
            }
        }
    }

    /// A signal stopped the run: it is marked `interrupted` (not failed), and its checkpoint folder
    /// lets the next run of the cell resume.
    public func markInterrupted(runID: Int64, reason: String, wallSeconds: Double?) throws {
        try guarded {
            try pool.write { db in
                try db.execute(sql: "UPDATE runs SET status = 'interrupted', finished_at = ?, wall_s = ?, error = ? WHERE id = ? AND status = 'running'",
                               arguments: [ResultsStore.now(), wallSeconds, reason, runID])
            }
        }
    }

    /// The cell's done run, unless it was made with a model file whose sha256 differs from
    /// `modelSHA256` (the file at the same path changed): that run is marked `stale`, its results
    /// kept, and returned as `retired` so the caller can say so and run the cell again.
    public func doneRun(configHash: String, currentModelSHA256: String?) throws -> (done: RunRecord?, retired: RunRecord?) {
        try guarded {
            try pool.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE config_hash = ? AND status = 'done'", arguments: [configHash]) else {
                    return (nil, nil)
                }
                let done = RunRecord(row: row)
                guard let current = currentModelSHA256, let recorded = done.modelSHA256, current != recorded else { return (done, nil) }
                try db.execute(sql: "UPDATE runs SET status = 'stale', error = ? WHERE id = ?",
                               arguments: ["model file \(done.modelPath) changed: results made with sha256 \(recorded), the file now has \(current)", done.id])
                return (nil, done)
            }
        }
    }

    /// Marks every `running` run whose process is gone as failed (crashed). Returns their ids.
    @discardableResult
    public func recoverCrashedRuns() throws -> [Int64] {
        try guarded {
            try pool.write { db in
                var ids: [Int64] = []
                for row in try Row.fetchAll(db, sql: "SELECT id, pid, host FROM runs WHERE status = 'running'") {
                    let pid: Int = row["pid"] ?? 0, host: String? = row["host"]
                    if !ResultsStore.processIsAlive(pid: pid, host: host) {
                        let id: Int64 = row["id"]
                        try db.execute(sql: "UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?",
                                       arguments: [ResultsStore.now(), "crashed: process \(pid) on \(host ?? "?") ended without finishing", id])
                        ids.append(id)
                    }
                }
                return ids
            }
        }
    }

    // MARK: reading

    public func runs(status: String? = nil) throws -> [RunRecord] {
        try guarded {
            try pool.read { db in
                if let s = status {
                    return try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE status = ? ORDER BY id", arguments: [s]).map(RunRecord.init)
                }
                return try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map(RunRecord.init)
            }
        }
    }

    public func run(id: Int64) throws -> RunRecord? {
        try guarded { try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(RunRecord.init) } }
    }

    public func doneRun(configHash: String) throws -> RunRecord? {
        try guarded {
            try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE config_hash = ? AND status = 'done'", arguments: [configHash]).map(RunRecord.init)
            }
        }
    }

    public func metrics(runID: Int64) throws -> [MetricRecord] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM metrics WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { r in
                    MetricRecord(benchmark: r["benchmark"], subset: r["subset"], metric: r["metric"], value: r["value"], n: r["n"],
                                 settings: (try? JSONValue.parse(r["settings_json"])) ?? .null)
                }
            }
        }
    }

    public func samples(runID: Int64) throws -> [StoredSample] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM samples WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { r in
                    StoredSample(benchmark: r["benchmark"], subset: r["subset"], index: r["sample_index"], prediction: r["prediction"],
                                 target: r["target"], correct: (r["correct"] as Int) != 0, detail: (try? JSONValue.parse(r["detail_json"])) ?? .null)
                }
            }
        }
    }

    public func lossCurve(runID: Int64) throws -> [LossPoint] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM loss_curve WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map {
                    LossPoint(step: $0["step"], loss: $0["loss"], split: $0["split"])
                }
            }
        }
    }

    public func artifacts(runID: Int64) throws -> [(kind: String, path: String)] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM artifacts WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { (kind: $0["kind"] as String, path: $0["path"] as String) }
            }
        }
    }

    /// The full outcome of a stored run (for shard merging and export).
    public func outcome(of run: RunRecord) throws -> CellOutcome {
        CellOutcome(metrics: try metrics(runID: run.id), samples: try samples(runID: run.id), lossCurve: try lossCurve(runID: run.id),
                    optimizerSteps: run.optimizerSteps ?? 0, samplesProcessed: run.samples ?? 0, tokensProcessed: run.tokens ?? 0,
                    wallSeconds: run.wallSeconds ?? 0, adapterPath: nil, artifacts: try artifacts(runID: run.id),
                    trainingRecord: run.trainingRecord)
    }

    /// Copies a finished run from another store (a shard) unless this store already has the config
    /// done. Returns true if copied. One transaction: a crash leaves either nothing or the whole run.
    @discardableResult
    public func importDoneRun(_ run: RunRecord, outcome: CellOutcome) throws -> Bool {
        try importDoneRuns([(run, outcome)])[0]
    }

    /// Copies finished runs in one transaction: all of them or, on any error, none. For each run,
    /// true if copied, false if this store already had its config done.
    public func importDoneRuns(_ runs: [(RunRecord, CellOutcome)]) throws -> [Bool] {
        try guarded {
            try pool.writeWithoutTransaction { db in
                var copied: [Bool] = []
                try db.inTransaction(.immediate) {
                    for (run, outcome) in runs { copied.append(try ResultsStore.insertDoneRun(db, run, outcome)) }
                    return .commit
                }
                return copied
            }
        }
    }

    static func insertDoneRun(_ db: Database, _ run: RunRecord, _ outcome: CellOutcome) throws -> Bool {
        if try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE config_hash = ? AND status = 'done'", arguments: [run.configHash]) != nil {
            return false
        }
        try db.execute(sql: """
            INSERT INTO runs (config_hash, config_json, labels_json, spec, table_name, method_label, method, setting, budget,
                              grid_label, model_path, model_sha256, profile, seed, code_version, status, pid, host, started_at,
                              finished_at, wall_s, optimizer_steps, samples, tokens, error, training_record_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)
            """, arguments: [run.configHash, run.configJSON, run.labelsJSON, run.spec, run.table, run.methodLabel, run.method,
                             run.setting, run.budget, run.gridLabel, run.modelPath, run.modelSHA256, run.profile, run.seed,
                             run.codeVersion, run.pid, run.host, run.startedAt, run.finishedAt, run.wallSeconds,
                             run.optimizerSteps, run.samples, run.tokens, run.trainingRecordJSON])
        try ResultsStore.insertChildren(db, runID: db.lastInsertedRowID, outcome: outcome)
        return true
    }

    /// Runs raw SQL in a write transaction (tests and maintenance).
    public func execute(sql: String) throws { try guarded { try pool.write { try $0.execute(sql: sql) } } }
    public func count(sql: String) throws -> Int { try guarded { try pool.read { try Int.fetchOne($0, sql: sql) ?? 0 } } }
}
