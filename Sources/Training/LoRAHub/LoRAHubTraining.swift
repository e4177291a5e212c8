import Foundation
import Engine
import Models
import Adapters
import Data

/// `metalora train --method lorahub` (what `Trainer.train` runs for `.loraHub`): the target task
/// is the run's training mixture.
///
///  1. Stage 1 (`UpstreamLoRAs`): one LoRA per upstream task (`n_loras`, default all tasks up to 20).
///  2. Target: 5 examples drawn with the run seed from the union of the tasks' budgets (LoRAHub
///     learns its weights from 5 examples of the target task).
///  3. Stage 2 (`CompositionSearch`): CMA-ES over the weights, `search_steps` evaluations.
///  4. `initial_eval_loss` = held-out loss of the base model (w = 0 composes a zero adapter),
///     `final_eval_loss` = held-out loss with the composed adapter, as for every method.
///
/// Outputs in `<output>/`: `upstream/<task-id>/` (PEFT), `adapter/` (the composed adapter, PEFT),
/// `lorahub_weights.json` (`CompositionRecord`: weights per upstream task, search history),
/// `loss-curve.jsonl`, `result.json`.
///
/// Counters (the JSON line): `optimizer_steps` = the upstream LoRAs' AdamW steps; `samples_processed`
/// and `tokens_processed` = the upstream LoRAs' training sequences and tokens (forward + backward)
/// plus the search's forward passes (search_steps × the target examples and their tokens).
/// Held-out scoring is not counted, as for the other methods. The split is in the record.
enum LoRAHubTraining {
    static let weightsFileName = "lorahub_weights.json"
    /// The standalone run's target name (seeds its search).
    static let mixtureTarget = "mixture"

    static func train(decoder: LlamaDecoder, tasks: TrainingTasks, hyper: TrainingHyperParameters,
                      options: TrainingOptions, record base: [String: String], plans: ActivationPlans) throws -> TrainingResult {
        try requireSeveralTasks(tasks.taskCount)
        let output = options.outputDirectory
        var record = base

        let savedAdapter = decoder.adapter
        defer { decoder.adapter = savedAdapter }
        decoder.adapter = nil
        let initial = try HeldOutLoss.measure(decoder, heldOut: tasks.heldOut, batchSize: hyper.evalBatchSize, plans: plans)

        let upstreamIDs = LoRAHubDefaults.upstreamTasks(tasks.taskIDs, limit: hyper.nLoras, seed: hyper.seed)
        let upstream = try UpstreamLoRAs.prepare(taskIDs: upstreamIDs, decoder: decoder, tasks: tasks, hyper: hyper,
                                                 folder: output.appendingPathComponent(UpstreamLoRAs.folderName),
                                                 baseModel: options.baseModelName, resume: options.resume, plans: plans,
                                                 progress: options.progress, stopAfterStep: options.stopAfterStep)

        let targets = mixtureTargets(tasks, seed: hyper.seed)
        let searchSteps = hyper.searchSteps ?? LoRAHubDefaults.searchSteps
        let seed = LoRAHubDefaults.searchSeed(run: hyper.seed, target: mixtureTarget)
        let search = try CompositionSearch.run(decoder: decoder, upstream: upstream.map(\.parameters), targets: tasks.tokens(targets),
                                               searchSteps: searchSteps, seed: seed, plans: plans, batchSize: hyper.evalBatchSize,
                                               loss: LoRAHubSearchLoss(rawValue: hyper.searchLoss) ?? .tokenMean,
                                               progress: options.progress)

        decoder.adapter = LoRAAdapter(search.composed)
        let final = try HeldOutLoss.measure(decoder, heldOut: tasks.heldOut, batchSize: hyper.evalBatchSize, plans: plans)

        let adapterFolder = output.appendingPathComponent("adapter")
        try PEFTFormat.save(search.composed, to: adapterFolder, baseModel: options.baseModelName)
        let composition = CompositionRecord(target: mixtureTarget, upstreamTasks: upstreamIDs, outcome: search,
                                            searchSteps: searchSteps, seed: seed, targetExamples: targets.map(\.id))
        let weightsURL = output.appendingPathComponent(weightsFileName)
        try composition.write(to: weightsURL)

        // Counters: upstream training, then the search's forward passes.
        var counters = UpstreamLoRAs.totalCounters(upstream)
        record["lorahub_upstream_tasks"] = upstreamIDs.joined(separator: ",")
        record["lorahub_upstream_reused"] = upstream.filter(\.reused).map(\.taskID).joined(separator: ",")
        record["lorahub_upstream_steps"] = String(counters.optimizerSteps)
        record["lorahub_upstream_samples"] = String(counters.samplesProcessed)
        record["lorahub_upstream_tokens"] = String(counters.tokensProcessed)
        record["lorahub_search_evaluations"] = String(search.evaluations)
        record["lorahub_search_samples"] = String(search.samples)
        record["lorahub_search_tokens"] = String(search.tokens)
        record["lorahub_target_examples"] = targets.map(\.id).joined(separator: ",")
        record["lorahub_weights"] = zip(upstreamIDs, search.weights).map { "\($0)=\($1)" }.joined(separator: ",")
        record["lorahub_weights_file"] = weightsURL.path
        record["lorahub_counters"] = "optimizer_steps = upstream AdamW steps; samples/tokens = upstream training (forward+backward) + search forward passes"
        counters.samplesProcessed += search.samples
        counters.tokensProcessed += search.tokens
        counters.wallSeconds += search.wallSeconds

        let curve = lossCurve(upstream, search)
        let curveURL = output.appendingPathComponent("loss-curve.jsonl")
        try Trainer.writeLossCurve(curve, to: curveURL)
        let result = TrainingResult(method: .loraHub, optimizerSteps: counters.optimizerSteps, samplesProcessed: counters.samplesProcessed,
                                    tokensProcessed: counters.tokensProcessed, wallSeconds: counters.wallSeconds,
                                    initialEvalLoss: initial.mean, finalEvalLoss: final.mean,
                                    finalEvalLossByTask: Trainer.byTask(final, tasks), adapterPath: adapterFolder.path,
                                    lossCurvePath: curveURL.path, lossCurve: curve, hyperParameters: hyper, record: record)
        try TrainingCheckpoint.encoder().encode(result).write(to: output.appendingPathComponent("result.json"), options: .atomic)
        return result
    }

    /// LoRAHub composes several upstream LoRAs; with one task there is nothing to compose.
    static func requireSeveralTasks(_ count: Int) throws {
        guard count >= 2 else {
            throw TrainingError.invalidHyperParameter("lorahub composes upstream LoRAs of several training tasks; this run has \(count) task(s)")
        }
    }

    /// The standalone target: `LoRAHubDefaults.targetExamples` budget examples drawn with the seed
    /// from all tasks' budgets together (fewer when the budgets hold fewer).
    static func mixtureTargets(_ tasks: TrainingTasks, seed: UInt64) -> [TrainingExample] {
        let pool = tasks.budgets.flatMap(\.examples)
        var rng = SplitMix64(seed: seed ^ TrainingSeeds.targetExamples)
        return Sampling.choose(min(LoRAHubDefaults.targetExamples, pool.count), from: pool.count, rng: &rng).map { pool[$0] }
    }

    /// The upstream LoRAs' training losses one after another (steps numbered across them, split
    /// "train"), then the search's objective per evaluation (split "search", step = evaluation).
    static func lossCurve(_ upstream: [UpstreamLoRA], _ search: CompositionSearch.Outcome) -> [LossCurvePoint] {
        UpstreamLoRAs.lossCurve(upstream)
            + search.history.enumerated().map { LossCurvePoint(step: $0.offset + 1, split: "search", loss: $0.element.value) }
    }
}
