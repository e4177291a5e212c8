import Foundation
import Engine
import Models

/// Everything a run needs to continue exactly where it stopped: θ (every adapter tensor), the
/// optimizer's moments and scalar state, the step, the samplers' RNG / position, the counters
/// and loss curve so far, and the resolved configuration (checked on resume).
public struct TrainingCheckpointState: Codable, Sendable {
    public var formatVersion = 1
    public var method: TrainingMethod
    public var hyperParameters: TrainingHyperParameters
    public var taskIDs: [String]
    /// SHA-256 of the budgets' example ids: resuming on a different budget is refused.
    public var budgetDigest: String
    /// Completed optimizer steps (MeTA-LoRA: iterations).
    public var step: Int
    /// Episode sampler state after `step` iterations (MeTA-LoRA, -STA).
    public var samplerRNG: SplitMix64?
    /// Mixed batches consumed (the baselines replay their deterministic batch stream to here).
    public var batchesConsumed: Int?
    public var counters: TrainingCounters
    public var lossCurve: [LossCurvePoint]
    public var initialEvalLoss: Double
    public var optimizer: AdamW.ScalarState
    /// The tensor file (in the same folder) holding `param.*`, `exp_avg.*`, `exp_avg_sq.*`.
    public var tensorsFile: String
    /// SHA-256 of the model file the run trained on; resuming on another file is refused.
    /// Checkpoints written before these checksums existed have none and are not checked.
    public var modelSHA256: String? = nil
    /// SHA-256 of the tensor file, checked before it is read.
    public var tensorsSHA256: String? = nil
    /// SHA-256 of this state's JSON written with this field absent: a damaged byte anywhere in
    /// the JSON fails the check.
    public var stateSHA256: String? = nil
}

/// Checkpoint files in a folder: `checkpoint-step<N>.safetensors` + `checkpoint.json`.
/// Writes are atomic: the tensors go to a new file (temp + rename), then the JSON that names it
/// is replaced by rename; only then is the previous tensor file removed. A crash at any moment
/// leaves a JSON that points at a complete tensor file.
public enum TrainingCheckpoint {
    public static let stateFileName = "checkpoint.json"

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// Writes a checkpoint of `parameters` (saved as `param.<name>`) and the optimizer's moments,
    /// with the tensor file's and the state's checksums. A failed write (disk full, a file-size
    /// limit) removes its temporary files and leaves the previous checkpoint in place.
    public static func save(_ state: TrainingCheckpointState, parameters: [(name: String, value: Tensor)],
                            optimizer: AdamW, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var tensors = optimizer.stateTensors()
        for p in parameters { tensors["param.\(p.name)"] = p.value }
        var state = state
        state.tensorsFile = String(format: "checkpoint-step%07d.safetensors", state.step)
        let previous = try? load(from: folder)?.state.tensorsFile
        let tensorURL = folder.appendingPathComponent(state.tensorsFile)
        let temporary = folder.appendingPathComponent(state.tensorsFile + ".tmp")
        let stateTemporary = folder.appendingPathComponent(stateFileName + ".tmp")
        do {
            try SafeTensorsFile.write(tensors, metadata: ["step": String(state.step)], to: temporary)
            state.tensorsSHA256 = try SHA256.hex(ofFile: temporary)
            try replace(tensorURL, with: temporary)
            try encodeWithChecksum(state).write(to: stateTemporary)
            try replace(folder.appendingPathComponent(stateFileName), with: stateTemporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            try? FileManager.default.removeItem(at: stateTemporary)
            throw TrainingError.checkpointUnwritable(folder: folder.path, reason: writeFailure(error))
        }
        if let previous, previous != state.tensorsFile {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(previous))
        }
    }

    /// The operating system's reason for a failed write ("File too large", "No space left on
    /// device"), which Foundation wraps in a Cocoa error with no message of its own.
    static func writeFailure(_ error: Error) -> String {
        var e = error as NSError
        while let underlying = e.userInfo[NSUnderlyingErrorKey] as? Error { e = underlying as NSError }
        if e.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(e.code))) }
        return "\(error)"
    }

    /// The state's JSON with `stateSHA256` set to the hash of the same JSON without it.
    static func encodeWithChecksum(_ state: TrainingCheckpointState) throws -> Data {
        var state = state
        state.stateSHA256 = nil
        state.stateSHA256 = SHA256.hex(of: try encoder().encode(state))
        return try encoder().encode(state)
    }

    /// rename(2) over the destination (atomic on POSIX file systems).
    static func replace(_ destination: URL, with source: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            throw TrainingError.checkpointUnreadable("cannot move \(source.path) to \(destination.path): errno \(errno)")
        }
    }

    /// The checkpoint in `folder`, or nil when there is none. Its checksums (when it has them)
    /// are verified: a damaged byte in the JSON or the tensor file is `checkpointUnreadable`.
    public static func load(from folder: URL) throws -> (state: TrainingCheckpointState, tensors: SafeTensorsFile)? {
        let stateURL = folder.appendingPathComponent(stateFileName)
        guard FileManager.default.fileExists(atPath: stateURL.path) else { return nil }
        let state: TrainingCheckpointState
        do {
            state = try decoder().decode(TrainingCheckpointState.self, from: Data(contentsOf: stateURL))
        } catch {
            throw TrainingError.checkpointUnreadable("\(stateURL.path): \(error)")
        }
        if let recorded = state.stateSHA256 {
            var unsigned = state
            unsigned.stateSHA256 = nil
            guard SHA256.hex(of: try encoder().encode(unsigned)) == recorded else {
                throw TrainingError.checkpointUnreadable("\(stateURL.path) is damaged: its checksum does not match its contents")
            }
        }
        let tensorURL = folder.appendingPathComponent(state.tensorsFile)
        guard FileManager.default.fileExists(atPath: tensorURL.path) else {
            throw TrainingError.checkpointUnreadable("\(stateURL.path) names \(state.tensorsFile), which is missing")
        }
        if let recorded = state.tensorsSHA256 {
            let actual = try SHA256.hex(ofFile: tensorURL)
            guard actual == recorded else {
                throw TrainingError.checkpointUnreadable("\(tensorURL.path) is damaged: sha256 \(actual.prefix(12))…, the checkpoint recorded \(recorded.prefix(12))…")
            }
        }
        do {
            return (state, try SafeTensorsFile(url: tensorURL))
        } catch {
            throw TrainingError.checkpointUnreadable("\(error)")
        }
    }

    /// `load`, plus the model check: a checkpoint written for a model file with another sha256
    /// cannot continue this run. Such a checkpoint, or a damaged one, fails the run (`.fail`), or
    /// (`.restart`) is set aside as `checkpoint.json.unusable` and the run starts from step 0,
    /// saying why.
    public static func loadVerified(from folder: URL, modelSHA256: String?, policy: UnusableCheckpointPolicy,
                                    log: ((String) -> Void)?) throws -> (state: TrainingCheckpointState, tensors: SafeTensorsFile)? {
        do {
            guard let saved = try load(from: folder) else { return nil }
            if let recorded = saved.state.modelSHA256, let current = modelSHA256, recorded != current {
                throw TrainingError.checkpointMismatch("\(folder.path) was written for a model file with sha256 \(recorded.prefix(12))…, "
                    + "this model has \(current.prefix(12))…")
            }
            return saved
        } catch let error as TrainingError {
            switch (policy, error) {
            case (.restart, .checkpointUnreadable), (.restart, .checkpointMismatch):
                let stateURL = folder.appendingPathComponent(stateFileName)
                let aside = folder.appendingPathComponent(stateFileName + ".unusable")
                try? FileManager.default.removeItem(at: aside)
                try FileManager.default.moveItem(at: stateURL, to: aside)
                log?("\(error); it was moved to \(aside.lastPathComponent) and training starts again from step 0")
                return nil
            default:
                throw error
            }
        }
    }

    /// Copies `param.<name>` values into the parameters and restores the optimizer.
    public static func restore(_ tensors: SafeTensorsFile, state: TrainingCheckpointState,
                               parameters: [(name: String, value: Tensor)], optimizer: AdamW) throws {
        for p in parameters {
            let key = "param.\(p.name)"
            guard tensors.contains(key) else { throw TrainingError.checkpointMismatch("tensor \(key) is missing") }
            let saved = try tensors.tensor(key)
            guard saved.shape == p.value.shape else {
                throw TrainingError.checkpointMismatch("\(key) has shape \(saved.shape), the adapter needs \(p.value.shape)")
            }
            p.value.copy(from: saved)
        }
        var moments: [String: Tensor] = [:]
        for name in tensors.names where name.hasPrefix("exp_avg") { moments[name] = try tensors.tensor(name) }
        try optimizer.loadState(moments, scalars: state.optimizer)
    }
}
