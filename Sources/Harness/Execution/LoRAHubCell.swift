import Foundation
import struct Data.DataDirectory
import Models
import Training
import Evaluation

/// A `method: lorahub` cell. LoRAHub adapts per target task, so unlike the other methods there is
/// no single trained adapter to evaluate: stage 1 trains (or reloads) one upstream LoRA per
/// training task of the cell (`n_loras` of them), then every evaluated subset is scored with the
/// composition searched on that subset's few-shot examples (`SubsetCompositions`).
///
/// Resumable at both stages: finished upstream LoRAs live in `<checkpoint>/upstream/<task>/` and
/// finished searches in `<checkpoint>/lorahub/`, so a re-run of an interrupted cell redoes neither.
///
/// Counters: optimizer steps = the upstream LoRAs' AdamW steps; samples and tokens = their
/// training sequences plus every search's forward passes (search_steps × targets per subset).
/// There is no held-out loss (the compositions target the benchmark subsets, not the mixture).
enum LoRAHubCell {
    static let compositionsFolder = "lorahub"

    static func execute(_ cell: ResolvedCell, model: LanguageModel, checkpointDir: URL, dataDirectory: String?,
                        log: @escaping (String) -> Void, progress: @escaping (CellProgress) -> Void) throws -> CellOutcome {
        let started = Date()
        let data = try DataDirectory.resolve(explicit: dataDirectory).existing()
        try requireTargetSources(cell, data: data)
        let request = try CellTraining.request(cell, method: .loraHub, checkpointDir: checkpointDir, dataDirectory: dataDirectory,
                                               log: log, progress: progress)
        let upstream = try TrainingSession.loraHubUpstream(request, model: model)
        let upstreamFolder = checkpointDir.appendingPathComponent(UpstreamLoRAs.folderName)
        let upstreamWork = UpstreamLoRAs.totalCounters(upstream)
        let steps = upstreamWork.optimizerSteps
        log("  upstream LoRAs: \(upstream.count) (\(upstream.filter(\.reused).count) reused from an earlier run), \(steps) steps: "
            + upstream.map(\.taskID).joined(separator: ", "))

        let compositions = SubsetCompositions(upstream: upstream, decoder: model.decoder,
                                              searchSteps: request.hyper.searchSteps ?? LoRAHubDefaults.searchSteps,
                                              searchLoss: LoRAHubSearchLoss(rawValue: request.hyper.searchLoss) ?? .tokenMean,
                                              runSeed: request.hyper.seed,
                                              folder: checkpointDir.appendingPathComponent(compositionsFolder),
                                              data: data, log: log)
        defer { model.decoder.adapter = nil }
        let evaluation = try CellEvaluation.evaluate(
            cell, model: model,
            adapterDescription: "lorahub: per-subset compositions of \(upstream.count) upstream LoRAs (\(upstreamFolder.path))",
            dataDirectory: compositions.data, log: log, progress: progress, compositions: compositions)
        log("  lorahub: \(compositions.evaluations) search evaluations (\(compositions.cachedSubsets.count) subsets from the cache)")

        let curve = UpstreamLoRAs.lossCurve(upstream).map { LossPoint(step: $0.step, loss: $0.loss, split: $0.split) }
        return CellOutcome(metrics: evaluation.metrics, samples: evaluation.samples, lossCurve: curve, optimizerSteps: steps,
                           samplesProcessed: upstreamWork.samplesProcessed + compositions.samples,
                           tokensProcessed: upstreamWork.tokensProcessed + compositions.tokens,
                           wallSeconds: Date().timeIntervalSince(started), adapterPath: upstreamFolder.path,
                           artifacts: [("checkpoint", checkpointDir.path), ("lorahub-compositions", compositions.folder.path),
                                       ("loss-curve-svg", try LossCurveSVG.write(curve, cell: cell, in: checkpointDir))])
    }

    /// Fails before any training when a benchmark of the cell offers no examples to compose from
    /// (zero-shot benchmarks; BBH instruct-eval at 0 shots scores every item).
    static func requireTargetSources(_ cell: ResolvedCell, data: DataDirectory) throws {
        for spec in cell.benchmarks {
            let def = try BenchmarkRegistry.definition(name: spec.name, variant: spec.variant)
            guard let first = def.subsets.first else { continue }
            let targets = try FewShotTargets.examples(def, subset: first.name, shots: spec.shots, count: 1, data: data)
            guard !targets.isEmpty else {
                throw EvaluationError.invalidOption("lorahub: \(spec.name) at \(spec.shots) shots has no examples outside its scored items "
                                                    + "to compose from (\(FewShotTargets.sourceDescription(def)))")
            }
        }
    }
}
