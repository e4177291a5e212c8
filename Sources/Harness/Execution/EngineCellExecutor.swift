import Foundation
import struct Data.DataDirectory
import Engine
import Models
import Adapters
import Training
import Evaluation

/// The real executor: trains the cell's method with the engine, then evaluates the adapted model
/// on the cell's benchmarks (LoRAHub: one composition per evaluated subset, `LoRAHubCell`).
/// Models are loaded once per path and reused across cells.
public final class EngineCellExecutor: CellExecutor {
    let dataDirectory: String?
    let log: (String) -> Void
    var models: [String: LanguageModel] = [:]

    public init(dataDirectory: String? = nil, log: @escaping (String) -> Void = { print($0) }) {
        self.dataDirectory = dataDirectory
        self.log = log
    }

    /// The model at `path` computing in `precision` (bf16 copies are packed when it changes).
    func model(_ path: String, precision: Precision) throws -> LanguageModel {
        try precision.requireAvailable()
        let m = try models[path] ?? LanguageModel(path: path)
        models[path] = m
        if m.decoder.precision != precision { try m.decoder.setPrecision(precision) }
        return m
    }

    public func execute(_ cell: ResolvedCell, checkpointDir: URL, threads: Int,
                        progress: @escaping (CellProgress) -> Void) throws -> CellOutcome {
        Parallel.setThreads(threads)
        try CellEvaluation.requireData(cell, dataDirectory: dataDirectory)
        let started = Date()
        let method = cell.descriptor.method
        if cell.descriptor.hooks.composesPerSubset {
            // One composition per evaluated subset rather than one trained adapter.
            return try LoRAHubCell.execute(cell, model: try self.model(cell.model, precision: cell.precision), checkpointDir: checkpointDir,
                                           dataDirectory: dataDirectory, log: log, progress: progress)
        }
        var result: TrainingResult?
        if cell.descriptor.loop != .none {
            result = try CellTraining.train(cell, method: method, checkpointDir: checkpointDir, dataDirectory: dataDirectory,
                                            log: log, progress: progress)
            // The trainer has already refused non-finite losses and examples cut to their prompts.
            if let r = result {
                log(String(format: "  trained: %d steps, %d samples, %d tokens, held-out loss %.4f → %.4f",
                           r.optimizerSteps, r.samplesProcessed, r.tokensProcessed, r.initialEvalLoss, r.finalEvalLoss))
            }
        }
        let model = try self.model(cell.model, precision: cell.precision)
        defer { model.decoder.adapter = nil }
        if let path = result?.adapterPath {
            model.decoder.adapter = try AdapterFiles.load(URL(fileURLWithPath: path), model: model.config)
        }
        let evaluation = try CellEvaluation.evaluate(cell, model: model, adapterDescription: result?.adapterPath,
                                                     dataDirectory: try DataDirectory.resolve(explicit: dataDirectory).existing(),
                                                     log: log, progress: progress)
        var curve: [LossPoint] = result?.lossCurve.map { LossPoint(step: $0.step, loss: $0.loss, split: $0.split) } ?? []
        if let r = result {
            curve.append(LossPoint(step: 0, loss: r.initialEvalLoss, split: "eval"))
            curve.append(LossPoint(step: r.optimizerSteps, loss: r.finalEvalLoss, split: "eval"))
        }
        var artifacts: [(kind: String, path: String)] = [("checkpoint", checkpointDir.path)]
        if let p = result?.lossCurvePath { artifacts.append(("loss-curve", p)) }
        if !curve.isEmpty { artifacts.append(("loss-curve-svg", try LossCurveSVG.write(curve, cell: cell, in: checkpointDir))) }
        return CellOutcome(metrics: evaluation.metrics, samples: evaluation.samples, lossCurve: curve,
                           optimizerSteps: result?.optimizerSteps ?? 0, samplesProcessed: result?.samplesProcessed ?? 0,
                           tokensProcessed: result?.tokensProcessed ?? 0, wallSeconds: Date().timeIntervalSince(started),
                           adapterPath: result?.adapterPath, artifacts: artifacts,
                           trainingRecord: result.map { EngineCellExecutor.recordJSON($0.record) })
    }

    /// The trainer's string record as the store's JSON object. Values that are JSON documents
    /// themselves (the per-task budget ids) are embedded as JSON, so SQL can reach into them.
    static func recordJSON(_ record: [String: String]) -> JSONValue {
        let embedded: Set<String> = ["budget_ids"]
        return .object(record.reduce(into: [:]) { o, entry in
            o[entry.key] = embedded.contains(entry.key) ? (try? JSONValue.parse(entry.value)) ?? .string(entry.value) : .string(entry.value)
        })
    }
}
