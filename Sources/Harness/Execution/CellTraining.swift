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
    /// Spec hyper-parameter keys this executor understands (others are refused, never ignored).
    static let understoodKeys: Set<String> = [
        "iterations", "tasks_per_iteration", "support_size", "query_size", "adaptation_steps", "alpha", "beta",
        "meta_optimizer", "epochs", "lr", "batch_size", "rank", "lora_alpha", "targets", "dropout", "max_seq_len",
        "lora_nums", "heads", "experts", "top_k", "n_loras", "search_steps",
    ]

    static func hyperParameters(for cell: ResolvedCell, method: TrainingMethod) throws -> TrainingHyperParameters {
        var h = TrainingHyperParameters.defaults(for: method, budgetPerTask: cell.examplesPerTask)
        for key in cell.hyper.keys where !understoodKeys.contains(key) {
            throw SpecError(file: cell.spec, line: 0, field: "hyper.\(key)", message: "is not a hyper-parameter the trainer knows")
        }
        func int(_ key: String) -> Int? { cell.hyper[key]?.intValue }
        func double(_ key: String) -> Double? { cell.hyper[key]?.doubleValue }
        if let v = int("iterations") { h.iterations = v }
        if let v = int("tasks_per_iteration") { h.tasksPerIteration = v }
        if let v = int("support_size") { h.supportSize = v }
        if let v = int("query_size") { h.querySize = v }
        if let v = int("adaptation_steps") { h.adaptationSteps = v }
        if let v = double("alpha") { h.alpha = v }
        if let v = double("beta") { h.beta = v }
        if let v = int("epochs") { h.epochs = v }
        if let v = double("lr") { h.learningRate = v }
        if let v = int("batch_size") { h.batchSize = v }
        if let v = int("rank") { h.rank = v }
        if let v = double("lora_alpha") { h.loraAlpha = Float(v) }
        if let v = double("dropout") { h.dropout = Float(v) }
        if case .array(let names)? = cell.hyper["targets"] {
            h.targets = try names.map { value in
                guard let name = value.stringValue, let p = Projection(name: name) else {
                    throw SpecError(file: cell.spec, line: 0, field: "hyper.targets", message: "unknown projection \(value.display)")
                }
                return p
            }
        }
        if let optimizer = cell.hyper["meta_optimizer"]?.stringValue, optimizer.lowercased() != "adamw" {
            throw SpecError(file: cell.spec, line: 0, field: "hyper.meta_optimizer",
                            message: "'\(optimizer)' is not implemented; Algorithm 1 uses AdamW (Eq. 5)")
        }
        // Multi-head settings: one head per training task (HydraLoRA's lora_nums, R-LoRA's heads).
        for key in ["lora_nums", "heads"] {
            if let v = cell.hyper[key], v.stringValue != "tasks", v.intValue != cell.tasks.count {
                throw SpecError(file: cell.spec, line: 0, field: "hyper.\(key)",
                                message: "must be 'tasks' (one head per training task, \(cell.tasks.count) here), not \(v.display)")
            }
        }
        if cell.hyper["top_k"] != nil {
            throw SpecError(file: cell.spec, line: 0, field: "hyper.top_k",
                            message: "top-k expert routing is not implemented: LoRA-MoE (MOELoRA) gates all experts densely")
        }
        if cell.hyper["n_loras"] != nil || cell.hyper["search_steps"] != nil, method != .loraHub {
            throw SpecError(file: cell.spec, line: 0, field: "hyper", message: "n_loras/search_steps apply to lorahub only")
        }
        if method == .loraHub {
            h.upstreamLoRAs = int("n_loras")
            h.searchSteps = int("search_steps")
        }
        MethodRegistry.registerMultiHeadAdapters(loraMoEExperts: int("experts") ?? 4)
        h.budgetPerTask = cell.examplesPerTask
        h.maxLength = int("max_seq_len") ?? cell.maxSeqLen ?? h.maxLength
        h.seed = UInt64(cell.seed)
        return h
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
        return TrainingRequest(method: method, setting: cell.setting, tasks: cell.tasks, modelPath: cell.model,
                               dataDirectory: DataDirectory.resolve(explicit: dataDirectory),
                               hyper: try hyperParameters(for: cell, method: method), options: options,
                               selection: selection)
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
