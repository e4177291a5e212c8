import Foundation
import Engine
import Models
import Adapters
import Data

/// Where a run writes and how it behaves around the loop.
public struct TrainingOptions {
    /// Receives `adapter/` (PEFT layout), `loss-curve.jsonl`, `result.json` and (by default) `checkpoint/`.
    public var outputDirectory: URL
    /// Checkpoint folder (default `<output>/checkpoint`).
    public var checkpointDirectory: URL?
    /// Continue from the checkpoint folder's checkpoint when there is one.
    public var resume = true
    /// Stage I / query-gradient loop of MeTA-LoRA and -STA.
    public var loop: MetaLoRALoop = .batched
    /// Testing aid: abandon the run right after this step, like a kill (no checkpoint is written
    /// for it; the last periodic checkpoint stays), by throwing `TrainingError.stoppedEarly`.
    public var stopAfterStep: Int?
    public var progress: ((TrainingProgress) -> Void)?
    /// Recorded in the adapter config (`base_model_name_or_path`).
    public var baseModelName = ""
    /// Extra entries for the result record (data plan, model hash, …).
    public var record: [String: String] = [:]
    /// Batches at least this many tokens wide recompute the MLP's gate/up in the backward pass
    /// (memory for compute; the numbers do not change).
    public var recomputeMLPFromLength = ActivationPlans.defaultRecomputeMLPFromLength
    /// Training plans whose activations would exceed this many bytes recompute whole layers.
    public var recomputeLayersAboveBytes = DecoderActivations.defaultLayerRecomputeAboveBytes
    /// One recomputation for every batch instead of the automatic choice (nil = automatic).
    public var recompute: ActivationRecomputation?
    /// Warnings and notices (truncation, a checkpoint that cannot be resumed); nil = dropped.
    public var log: ((String) -> Void)?
    /// SHA-256 of the model file, stored with each checkpoint and compared on resume.
    public var modelSHA256: String?
    /// What to do with a checkpoint that is damaged or was written for another model: fail (the
    /// CLI, which has --no-resume) or start again from step 0 and say so (harness cells).
    public var unusableCheckpoint: UnusableCheckpointPolicy = .fail
    /// Arithmetic of the frozen base's products (`Precision`; adapters, gradients and AdamW stay float32).
    public var precision: Precision = .f32
    /// How the frozen base weights are held (`WeightResidency`); the run record stores the resolved one.
    public var weights: WeightResidency = .auto

    public init(outputDirectory: URL) { self.outputDirectory = outputDirectory }

    public var resolvedCheckpointDirectory: URL { checkpointDirectory ?? outputDirectory.appendingPathComponent("checkpoint") }
}

public enum UnusableCheckpointPolicy: Sendable { case fail, restart }

/// The shared driver of every method: validation, initial and final held-out loss, the step
/// loop with counters, progress, loss curve and checkpoints, resume, and the saved adapter.
public enum Trainer {
    /// Trains `method` on `tasks` with the decoder's frozen base weights.
    public static func train(method: TrainingMethod, decoder: LlamaDecoder, tasks: TrainingTasks,
                             hyper: TrainingHyperParameters, options: TrainingOptions) throws -> TrainingResult {
        try hyper.validate(for: method)
        if let warning = try tasks.checkAnswerTokens() { options.log?(warning) }
        let plans = ActivationPlans(config: decoder.config)
        plans.recomputeMLPFromLength = options.recomputeMLPFromLength
        plans.recomputeLayersAboveBytes = options.recomputeLayersAboveBytes
        plans.recompute = options.recompute
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: options.outputDirectory, withIntermediateDirectories: true)
        var record = options.record
        record["prompt_format"] = tasks.promptFormat
        record["precision"] = decoder.precision.rawValue
        record["weights"] = decoder.weights.residency.rawValue
        record["truncation"] = tasks.truncation.description
        if method.isEpisodic { record["loop"] = options.loop.rawValue }
        // A method with its own driver (LoRAHub: upstream LoRAs, then the composition search).
        if let train = method.descriptor.hooks.train {
            return try train(decoder, tasks, hyper, options, record, plans)
        }

        let savedAdapter = decoder.adapter
        defer { decoder.adapter = savedAdapter }

        if method.descriptor.loop == .none {
            decoder.adapter = nil
            let eval = try HeldOutLoss.measure(decoder, heldOut: tasks.heldOut, batchSize: hyper.evalBatchSize, plans: plans)
            try requireFinite(eval, tasks, when: "base model's")
            return TrainingResult(method: method, optimizerSteps: 0, samplesProcessed: 0, tokensProcessed: 0, wallSeconds: 0,
                                  initialEvalLoss: eval.mean, finalEvalLoss: eval.mean,
                                  finalEvalLossByTask: byTask(eval, tasks), adapterPath: nil, lossCurvePath: nil,
                                  lossCurve: [], hyperParameters: hyper, record: record)
        }

        let loop = try makeLoop(method: method, decoder: decoder, tasks: tasks, hyper: hyper, loop: options.loop, plans: plans)
        func evaluate(_ when: String) throws -> HeldOutLoss.Measurement {
            decoder.adapter = loop.evaluationAdapter
            defer { decoder.adapter = savedAdapter }
            let m = try HeldOutLoss.measure(decoder, heldOut: tasks.heldOut, batchSize: hyper.evalBatchSize, plans: plans,
                                            taskGroups: loop.sequenceGroupsAreTasks)
            try requireFinite(m, tasks, when: when)
            return m
        }

        // Resume or start.
        let checkpointFolder = options.resolvedCheckpointDirectory
        let digest = SHA256.hex(of: tasks.budgets.map { $0.taskID + ":" + $0.exampleIDs.joined(separator: ",") }.joined(separator: "\n"))
        var counters = TrainingCounters()
        var curve: [LossCurvePoint] = []
        var startStep = 0
        let initialEvalLoss: Double
        if options.resume, let saved = try TrainingCheckpoint.loadVerified(from: checkpointFolder, modelSHA256: options.modelSHA256,
                                                                           policy: options.unusableCheckpoint, log: options.log) {
            let s = saved.state
            guard s.method == method else { throw TrainingError.checkpointMismatch("it was written by method \(s.method.rawValue)") }
            guard s.hyperParameters == hyper else { throw TrainingError.checkpointMismatch("its hyper-parameters differ from this run's") }
            guard s.taskIDs == tasks.taskIDs, s.budgetDigest == digest else {
                throw TrainingError.checkpointMismatch("its tasks or per-task budgets differ from this run's")
            }
            try TrainingCheckpoint.restore(saved.tensors, state: s, parameters: loop.checkpointParameters, optimizer: loop.optimizer)
            try loop.restoreSampler(rng: s.samplerRNG, batchesConsumed: s.batchesConsumed, step: s.step)
            counters = s.counters; curve = s.lossCurve; startStep = s.step; initialEvalLoss = s.initialEvalLoss
            record["resumed_from_step"] = String(s.step)
        } else {
            initialEvalLoss = try evaluate("initial").mean
        }

        func checkpoint(step: Int, wall: Double) throws {
            var c = counters
            c.wallSeconds = wall
            let sampler = loop.samplerState()
            let state = TrainingCheckpointState(method: method, hyperParameters: hyper, taskIDs: tasks.taskIDs, budgetDigest: digest,
                                                step: step, samplerRNG: sampler.rng, batchesConsumed: sampler.batchesConsumed,
                                                counters: c, lossCurve: curve, initialEvalLoss: initialEvalLoss,
                                                optimizer: loop.optimizer.scalarState(), tensorsFile: "",
                                                modelSHA256: options.modelSHA256)
            try TrainingCheckpoint.save(state, parameters: loop.checkpointParameters, optimizer: loop.optimizer, to: checkpointFolder)
        }

        // The step loop.
        let segmentStart = Date()
        let wallBefore = counters.wallSeconds
        var segmentTokens = 0
        if startStep < loop.totalSteps {
            for step in (startStep + 1)...loop.totalSteps {
                let outcome = try loop.runStep(step)
                counters.optimizerSteps += 1
                counters.samplesProcessed += outcome.samples
                counters.tokensProcessed += outcome.tokens
                segmentTokens += outcome.tokens
                curve += outcome.points
                let elapsed = Date().timeIntervalSince(segmentStart)
                if let progress = options.progress, step % hyper.logEvery == 0 || step == loop.totalSteps {
                    let stepsDone = Double(step - startStep)
                    progress(TrainingProgress(method: method, step: step, totalSteps: loop.totalSteps, loss: outcome.loss,
                                              tokensPerSecond: elapsed > 0 ? Double(segmentTokens) / elapsed : 0,
                                              etaSeconds: elapsed / stepsDone * Double(loop.totalSteps - step)))
                }
                if hyper.checkpointEvery > 0, step % hyper.checkpointEvery == 0, step < loop.totalSteps {
                    try checkpoint(step: step, wall: wallBefore + elapsed)
                }
                if let stop = options.stopAfterStep, step == stop, step < loop.totalSteps {
                    throw TrainingError.stoppedEarly(step: step)
                }
            }
        }
        counters.wallSeconds = wallBefore + Date().timeIntervalSince(segmentStart)
        try checkpoint(step: loop.totalSteps, wall: counters.wallSeconds)

        // Final held-out loss, adapter, loss curve, result.
        let final = try evaluate("final")
        // Never save an adapter that holds NaN or inf (e.g. after a step at an absurd rate).
        if let bad = FiniteCheck.firstNonFinite(loop.checkpointParameters.map { (name: $0.name, tensor: $0.value) }) {
            throw TrainingError.nonFinite(step: loop.totalSteps, tensor: bad.tensorName, value: bad.value)
        }
        let adapterFolder = options.outputDirectory.appendingPathComponent("adapter")
        if let lora = loop.evaluationAdapter as? LoRAAdapter {
            try PEFTFormat.save(lora.copies[0], to: adapterFolder, baseModel: options.baseModelName)
        } else {
            try loop.evaluationAdapter.save(to: adapterFolder)
        }
        let curveURL = options.outputDirectory.appendingPathComponent("loss-curve.jsonl")
        try writeLossCurve(curve, to: curveURL)
        let result = TrainingResult(method: method, optimizerSteps: counters.optimizerSteps, samplesProcessed: counters.samplesProcessed,
                                    tokensProcessed: counters.tokensProcessed, wallSeconds: counters.wallSeconds,
                                    initialEvalLoss: initialEvalLoss, finalEvalLoss: final.mean,
                                    finalEvalLossByTask: byTask(final, tasks), adapterPath: adapterFolder.path,
                                    lossCurvePath: curveURL.path, lossCurve: curve, hyperParameters: hyper, record: record)
        let encoder = TrainingCheckpoint.encoder()
        try encoder.encode(result).write(to: options.outputDirectory.appendingPathComponent("result.json"), options: .atomic)
        return result
    }

    /// The loop of a (wired) method.
    public static func makeLoop(method: TrainingMethod, decoder: LlamaDecoder, tasks: TrainingTasks,
                                hyper: TrainingHyperParameters, loop: MetaLoRALoop, plans: ActivationPlans) throws -> any TrainingLoop {
        if method.isEpisodic {
            return try EpisodicLoop(method: method, decoder: decoder, tasks: tasks, hyper: hyper, loop: loop, plans: plans)
        }
        guard let recipe = method.descriptor.adapter else {
            throw TrainingError.invalidHyperParameter("method '\(method.rawValue)' names neither an episodic loop nor an adapter to train")
        }
        var rng = SplitMix64(seed: hyper.seed ^ TrainingSeeds.adapterInit)
        let adapter = try recipe.make(decoder.config, hyper, tasks.taskCount, &rng)
        return try MixedBatchLoop(method: method, decoder: decoder, adapter: adapter, tasks: tasks, hyper: hyper,
                                  sequenceGroupsAreTasks: recipe.sequenceGroupsAreTasks, plans: plans)
    }

    /// One JSON object per line: `{"loss":…,"split":"query","step":12}`.
    public static func writeLossCurve(_ curve: [LossCurvePoint], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var text = ""
        for point in curve { text += String(decoding: try encoder.encode(point), as: UTF8.self) + "\n" }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// A held-out loss that is not a number fails the run, unless nothing was held out
    /// (`--eval-examples 0`), where NaN stands for "not measured".
    static func requireFinite(_ m: HeldOutLoss.Measurement, _ tasks: TrainingTasks, when: String) throws {
        guard !m.mean.isFinite, tasks.heldOut.contains(where: { !$0.isEmpty }) else { return }
        throw TrainingError.nonFiniteEvalLoss(when: when, loss: m.mean)
    }

    static func byTask(_ m: HeldOutLoss.Measurement, _ tasks: TrainingTasks) -> [String: Double] {
        var out: [String: Double] = [:]
        for (id, loss) in zip(tasks.taskIDs, m.perTask) { if let loss { out[id] = loss } }
        return out
    }
}
