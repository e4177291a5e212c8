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

    /// Writes a checkpoint of `parameters` (saved as `param.<name>`) and the optimizer's moments.
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
        try SafeTensorsFile.write(tensors, metadata: ["step": String(state.step)], to: temporary)
        try replace(tensorURL, with: temporary)
        let stateTemporary = folder.appendingPathComponent(stateFileName + ".tmp")
        try encoder().encode(state).write(to: stateTemporary)
        try replace(folder.appendingPathComponent(stateFileName), with: stateTemporary)
        if let previous, previous != state.tensorsFile {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(previous))
        }
    }

    /// rename(2) over the destination (atomic on POSIX file systems).
    static func replace(_ destination: URL, with source: URL) throws {
        guard rename(source.path, destination.path) == 0 else {
            throw TrainingError.checkpointUnreadable("cannot move \(source.path) to \(destination.path): errno \(errno)")
        }
    }

    /// The checkpoint in `folder`, or nil when there is none.
    public static func load(from folder: URL) throws -> (state: TrainingCheckpointState, tensors: SafeTensorsFile)? {
        let stateURL = folder.appendingPathComponent(stateFileName)
        guard FileManager.default.fileExists(atPath: stateURL.path) else { return nil }
        let state: TrainingCheckpointState
        do {
            state = try decoder().decode(TrainingCheckpointState.self, from: Data(contentsOf: stateURL))
        } catch {
            throw TrainingError.checkpointUnreadable("\(stateURL.path): \(error)")
        }
        let tensors = try SafeTensorsFile(url: folder.appendingPathComponent(state.tensorsFile))
        return (state, tensors)
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
