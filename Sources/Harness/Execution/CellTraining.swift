import Foundation
import Engine
import Models
import Training
import struct Data.DataDirectory
import enum Data.SelectionMethod

/// Turns a resolved cell into a `TrainingRequest` and runs it (the paper's Algorithm 1 for
/// meta-lora, the mixed-batch loop for the baselines). The checkpoint folder is stable per config
/// hash, so a re-run of an interrupted cell resumes where it stopped.
enum CellTraining {
    /// A cell's training values: the descriptor's defaults, then the spec, grid and profile
    /// values (`hyper`, epochs already resolved for the budget), checked against the schema.
    /// The profile's max_seq_len (capped by the spec's) replaces the default when it is set.
    /// Support + query against the budget is checked when the cell runs (`TrainingSession.validate`).
    static func resolve(_ descriptor: MethodDescriptor, hyper: [String: JSONValue], perTask: Int?, maxSeqLen: Int?,
                        seed: Int) throws -> TrainingHyperParameters {
        var explicit = hyper.hyperValues
        if let maxSeqLen, descriptor.parameter("max_seq_len") != nil { explicit["max_seq_len"] = .int(maxSeqLen) }
        return try descriptor.resolve(explicit, budgetPerTask: perTask, seed: UInt64(seed), checkingBudget: false)
    }

    static func hyperParameters(for cell: ResolvedCell, method: TrainingMethod) throws -> TrainingHyperParameters {
        cell.resolved
    }

    static func train(_ cell: ResolvedCell, method: TrainingMethod, checkpointDir: URL, dataDirectory: String?,
                      log: @escaping (String) -> Void, progress: @escaping (CellProgress) -> Void) throws -> TrainingResult {
        try TrainingSession.run(request(cell, method: method, checkpointDir: checkpointDir, dataDirectory: dataDirectory,
                                        log: log, progress: progress))
    }

    /// The cell as a training request: output and checkpoints in `checkpointDir` (resumed), progress
    /// forwarded to the runner and logged every few seconds, and the bm25/dsir selection if any.
    static func request(_ cell: ResolvedCell, method: TrainingMethod, checkpointDir: URL, dataDirectory: String?,
                        log: @escaping (String) -> Void, progress: @escaping (CellProgress) -> Void) throws -> TrainingRequest {
        let selection = try dataSelection(for: cell, dataDirectory: dataDirectory, log: log)
        var options = TrainingOptions(outputDirectory: checkpointDir)
        options.resume = true
        // A cell's checkpoint folder is the harness's own: a damaged checkpoint, or one made with
        // a model file that has since changed, is set aside and the cell starts again (logged).
        options.unusableCheckpoint = .restart
        options.log = { log("  " + $0) }
        options.precision = cell.precision
        var lastLogged = Date.distantPast
        options.progress = { p in
            progress(CellProgress(phase: "train", done: p.step, total: p.totalSteps))
            if Date().timeIntervalSince(lastLogged) > 5 || p.step == p.totalSteps {
                lastLogged = Date()
                log("  " + p.line)
            }
        }
        options.record["spec"] = cell.spec
        options.record["config_hash"] = cell.configHash
        var request = TrainingRequest(method: method, setting: cell.setting, tasks: cell.tasks, modelPath: cell.model,
                                      dataDirectory: DataDirectory.resolve(explicit: dataDirectory),
                                      hyper: try hyperParameters(for: cell, method: method), options: options,
                                      selection: selection)
        if let h = cell.heldOutPerTask { request.heldOutPerTask = h }
        return request
    }

    /// Table 13: a bm25/dsir cell's budgets are the top examples per task for the evaluation
    /// inputs of its target benchmarks (`SelectionTargets`); nil for random draws.
    static func dataSelection(for cell: ResolvedCell, dataDirectory: String?,
                              log: (String) -> Void) throws -> TrainingDataSelection? {
        if cell.selection == "random" { return nil }
        guard let method = SelectionMethod(rawValue: cell.selection) else {
            throw SpecError(file: cell.spec, line: 0, field: "selection",
                            message: "unknown data selection '\(cell.selection)'; valid: \(Registry.dataSelections.joined(separator: ", "))")
        }
        let target = try SelectionTargets.load(cell.selectionTarget, dataDirectory: dataDirectory)
        log("  \(method.rawValue) selection: top \(cell.examplesPerTask.map(String.init) ?? "?") per task for "
            + "\(target.sourceSummary) target texts (sha256 \(target.sha256.prefix(12)))")
        return TrainingDataSelection(method: method, target: target)
    }
}
