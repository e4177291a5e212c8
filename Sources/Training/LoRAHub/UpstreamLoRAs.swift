import Foundation
import Engine
import Models
import Adapters
import Data

/// One finished upstream LoRA of LoRAHub's stage 1.
public struct UpstreamLoRA {
    public let taskID: String
    public let parameters: LoRAParameters
    /// `<output>/upstream/<task-id>/`: PEFT layout (`adapter_config.json`, `adapter_model.safetensors`)
    /// plus `upstream.json`.
    public let folder: URL
    /// The work that trained it (read back from `upstream.json` when reused, like a resumed run's counters).
    public let counters: TrainingCounters
    /// Its training-loss curve, steps numbered within this upstream LoRA.
    public let lossCurve: [LossCurvePoint]
    /// True when an adapter finished by an earlier (killed or repeated) run was reloaded, not retrained.
    public let reused: Bool
}

/// `upstream.json`, written after the adapter files: its presence means the adapter beside it is
/// complete, and its contents say what produced it (checked before reuse).
struct UpstreamRecord: Codable, Equatable {
    var formatVersion = 1
    var taskID: String
    var baseModel: String
    /// The hyper-parameters that shape stage 1 (`UpstreamLoRAs.identity`).
    var hyperParameters: TrainingHyperParameters
    /// SHA-256 of the task's budget example ids.
    var budgetDigest: String
    var promptFormat: String
    var counters: TrainingCounters
    var lossCurve: [LossCurvePoint]
}

/// Stage 1 of LoRAHub: one plain LoRA per upstream task, each trained by the LoRA baseline's loop
/// (`MixedBatchLoop`: AdamW at `lr`, batches of `batchSize`, `epochs` epochs, rank and
/// targets as for LoRA, appendix A.1.2) on that task's budget examples only, saved in PEFT layout
/// under `<output>/upstream/<task-id>/`.
///
/// Resumable per upstream LoRA: one saved completely (its `upstream.json` exists and matches this
/// run) is reloaded, not retrained; a LoRA interrupted mid-training is retrained from scratch (each
/// is small next to the whole stage, so no mid-LoRA checkpoints are kept).
///
/// Every upstream LoRA starts from the same PEFT initialisation (A from the run seed, B = 0), as a
/// training script with a fixed seed gives: the modules then share A's starting point, which keeps
/// the cross terms B_k A_j of LoRAHub's separate composition (A = Σ w_k A_k, B = Σ w_k B_k) close to
/// the modules' own products B_k A_k instead of random noise.
public enum UpstreamLoRAs {
    public static let folderName = "upstream"
    static let recordFileName = "upstream.json"

    /// Trains (or reloads) the upstream LoRAs of `taskIDs`, in that order.
    /// - Parameters:
    ///   - resume: reuse finished upstream LoRAs found under `folder`; false retrains all.
    ///   - stopAfterStep: testing aid, as `TrainingOptions.stopAfterStep`: abandon right after this
    ///     many upstream steps in total (reused LoRAs count their steps), like a kill.
    public static func prepare(taskIDs: [String], decoder: LlamaDecoder, tasks: TrainingTasks, hyper: TrainingHyperParameters,
                               folder: URL, baseModel: String, resume: Bool = true, plans: ActivationPlans? = nil,
                               progress: ((TrainingProgress) -> Void)? = nil, stopAfterStep: Int? = nil) throws -> [UpstreamLoRA] {
        let plans = plans ?? ActivationPlans(config: decoder.config)
        let single = taskIDs.map { tasks.restricted(to: [$0]) }
        let planned = try single.map { try plannedSteps($0, hyper) }
        let total = planned.reduce(0, +)
        var done = 0
        var out: [UpstreamLoRA] = []
        for (index, taskID) in taskIDs.enumerated() {
            let taskFolder = folder.appendingPathComponent(taskID)
            let expected = UpstreamRecord(taskID: taskID, baseModel: baseModel, hyperParameters: identity(hyper),
                                          budgetDigest: digest(single[index]), promptFormat: tasks.promptFormat,
                                          counters: TrainingCounters(), lossCurve: [])
            if resume, let reused = try reload(taskFolder, expected: expected, model: decoder.config) {
                out.append(reused)
                done += planned[index]
                progress?(TrainingProgress(method: .loraHub, step: done, totalSteps: total, loss: reused.lossCurve.last?.loss ?? .nan,
                                           tokensPerSecond: 0, etaSeconds: 0))
                continue
            }
            let trained = try train(taskID: taskID, decoder: decoder, tasks: single[index], hyper: hyper, plans: plans) { step, outcome, rate in
                let global = done + step
                progress?(TrainingProgress(method: .loraHub, step: global, totalSteps: total, loss: outcome.loss,
                                           tokensPerSecond: rate, etaSeconds: 0))
                if let stop = stopAfterStep, global == stop, global < total { throw TrainingError.stoppedEarly(step: global) }
            }
            var record = expected
            record.counters = trained.counters
            record.lossCurve = trained.curve
            try save(trained.parameters, record: record, to: taskFolder)
            out.append(UpstreamLoRA(taskID: taskID, parameters: trained.parameters, folder: taskFolder, counters: trained.counters,
                                    lossCurve: trained.curve, reused: false))
            done += planned[index]
        }
        return out
    }

    /// The upstream LoRAs' training work summed (steps, samples, tokens, wall time).
    public static func totalCounters(_ upstream: [UpstreamLoRA]) -> TrainingCounters {
        var total = TrainingCounters()
        for u in upstream {
            total.optimizerSteps += u.counters.optimizerSteps
            total.samplesProcessed += u.counters.samplesProcessed
            total.tokensProcessed += u.counters.tokensProcessed
            total.wallSeconds += u.counters.wallSeconds
        }
        return total
    }

    /// The upstream LoRAs' training losses one after another, steps numbered across them.
    public static func lossCurve(_ upstream: [UpstreamLoRA]) -> [LossCurvePoint] {
        var curve: [LossCurvePoint] = []
        var offset = 0
        for u in upstream {
            curve += u.lossCurve.map { LossCurvePoint(step: offset + $0.step, split: $0.split, loss: $0.loss) }
            offset += u.counters.optimizerSteps
        }
        return curve
    }

    /// Optimizer steps the LoRA loop takes on one task (epochs × batches per epoch, capped by `maxSteps`).
    static func plannedSteps(_ task: TrainingTasks, _ hyper: TrainingHyperParameters) throws -> Int {
        let batches = try MixedTaskBatches(examples: task.budgets.flatMap(\.examples), batchSize: hyper.batchSize,
                                           epochs: hyper.epochs, seed: 0)
        return min(batches.batchesPerEpoch * hyper.epochs, hyper.maxSteps ?? Int.max)
    }

    /// One upstream LoRA: PEFT initialisation from the run seed, then the LoRA baseline's loop.
    static func train(taskID: String, decoder: LlamaDecoder, tasks: TrainingTasks, hyper: TrainingHyperParameters,
                      plans: ActivationPlans, afterStep: (Int, StepOutcome, Double) throws -> Void)
        throws -> (parameters: LoRAParameters, counters: TrainingCounters, curve: [LossCurvePoint]) {
        let parameters = LoRAParameters(config: hyper.loraConfig, model: decoder.config)
        var rng = SplitMix64(seed: hyper.seed ^ TrainingSeeds.adapterInit)
        parameters.initialiseLikePEFT(rng: &rng)
        let loop = try MixedBatchLoop(method: .lora, decoder: decoder, adapter: LoRAAdapter(parameters), tasks: tasks,
                                      hyper: hyper, plans: plans)
        var counters = TrainingCounters()
        var curve: [LossCurvePoint] = []
        let start = Date()
        if loop.totalSteps > 0 {
            for step in 1...loop.totalSteps {
                let outcome = try loop.runStep(step)
                counters.optimizerSteps += 1
                counters.samplesProcessed += outcome.samples
                counters.tokensProcessed += outcome.tokens
                curve += outcome.points
                let elapsed = Date().timeIntervalSince(start)
                try afterStep(step, outcome, elapsed > 0 ? Double(counters.tokensProcessed) / elapsed : 0)
            }
        }
        counters.wallSeconds = Date().timeIntervalSince(start)
        return (parameters, counters, curve)
    }

    /// The fields of a run's hyper-parameters that shape stage 1; the others (search budget,
    /// held-out scoring, logging) may change between runs without invalidating the upstream LoRAs.
    static func identity(_ hyper: TrainingHyperParameters) -> TrainingHyperParameters {
        var h = hyper
        let defaults = TrainingHyperParameters()
        h.nLoras = nil; h.searchSteps = nil; h.searchLoss = defaults.searchLoss
        h.evalExamplesPerTask = defaults.evalExamplesPerTask; h.evalBatchSize = defaults.evalBatchSize
        h.checkpointEvery = defaults.checkpointEvery; h.logEvery = defaults.logEvery
        return h
    }

    static func digest(_ task: TrainingTasks) -> String {
        SHA256.hex(of: task.budgets.map { $0.taskID + ":" + $0.exampleIDs.joined(separator: ",") }.joined(separator: "\n"))
    }

    /// The finished upstream LoRA in `folder`, nil when there is none (or it never finished), or
    /// `checkpointMismatch` when it was made by a different configuration.
    static func reload(_ folder: URL, expected: UpstreamRecord, model: LlamaConfig) throws -> UpstreamLoRA? {
        let recordURL = folder.appendingPathComponent(recordFileName)
        guard FileManager.default.fileExists(atPath: recordURL.path) else { return nil }
        let record: UpstreamRecord
        do {
            record = try TrainingCheckpoint.decoder().decode(UpstreamRecord.self, from: Foundation.Data(contentsOf: recordURL))
        } catch {
            throw TrainingError.checkpointUnreadable("\(recordURL.path): \(error)")
        }
        var mismatch: [String] = []
        if record.taskID != expected.taskID { mismatch.append("task \(record.taskID)") }
        if record.baseModel != expected.baseModel { mismatch.append("base model \(record.baseModel)") }
        if record.hyperParameters != expected.hyperParameters { mismatch.append("hyper-parameters") }
        if record.budgetDigest != expected.budgetDigest { mismatch.append("budget examples") }
        if record.promptFormat != expected.promptFormat { mismatch.append("prompt format \(record.promptFormat)") }
        guard mismatch.isEmpty else {
            throw TrainingError.checkpointMismatch("the upstream LoRA in \(folder.path) was trained with other \(mismatch.joined(separator: ", ")); "
                                                   + "remove it or start from scratch (--no-resume)")
        }
        let parameters = try PEFTFormat.load(folder, model: model)
        return UpstreamLoRA(taskID: record.taskID, parameters: parameters, folder: folder, counters: record.counters,
                            lossCurve: record.lossCurve, reused: true)
    }

    /// Adapter files first, then `upstream.json` by rename: a kill at any moment leaves either no
    /// record (retrained next time) or a record beside a complete adapter.
    static func save(_ parameters: LoRAParameters, record: UpstreamRecord, to folder: URL) throws {
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(recordFileName))
        try PEFTFormat.save(parameters, to: folder, baseModel: record.baseModel)
        try TrainingCheckpoint.encoder().encode(record).write(to: folder.appendingPathComponent(recordFileName), options: .atomic)
    }
}
