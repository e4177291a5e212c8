import Foundation
import struct Data.DataDirectory
import Models
import Evaluation

/// Evaluates a (possibly adapted) model on a cell's benchmarks and turns the reports into the
/// store's metric and sample records. Every metric carries the resolved evaluation settings
/// (shots, split, template, scoring rule, aggregation, limit, partial-ness) as JSON.
enum CellEvaluation {
    /// - Parameter compositions: LoRAHub's per-subset adapters; each subset is scored with its own
    ///   composition (switched in before the subset), and the metrics carry the composition settings.
    static func evaluate(_ cell: ResolvedCell, model: LanguageModel, adapterDescription: String?,
                         dataDirectory: DataDirectory, log: @escaping (String) -> Void,
                         progress: @escaping (CellProgress) -> Void,
                         compositions: SubsetCompositions? = nil) throws -> (metrics: [MetricRecord], samples: [StoredSample]) {
        let backend = try ModelBackend(model: model, prefixReuse: true)
        backend.adapterDescription = adapterDescription
        var metrics: [MetricRecord] = []
        var samples: [StoredSample] = []
        for spec in cell.benchmarks {
            let definition = try BenchmarkRegistry.definition(name: spec.name, variant: spec.variant)
            var options = EvaluationOptions(dataDirectory: dataDirectory, subsets: spec.subsets, shots: spec.shots,
                                            limit: spec.limit ?? cell.evalLimit,
                                            progress: CellEvaluationProgress(benchmark: spec.name, report: progress))
            if definition.format == .trainingHeldOut {
                options.suppliedItems = try HeldOutItems.build(definition, cell: cell, model: model, dataDirectory: dataDirectory)
            }
            if let compositions {
                options.beforeSubset = { subset in
                    try compositions.activate(definition, shots: spec.shots, subset: subset, backend: backend)
                }
            }
            let truncatedBefore = backend.truncatedRequests
            let report = try Evaluator.run(definition, backend: backend, options: options)
            var settings = try settingsJSON(report)
            let truncated = backend.truncatedRequests - truncatedBefore
            if case .object(var o) = settings {
                o["truncated_requests"] = .int(truncated)
                o["max_length"] = .int(backend.maxLength)
                if let compositions { o["lorahub"] = compositions.settings(definition, shots: spec.shots) }
                settings = .object(o)
            }
            if truncated > 0 {
                log("  note: \(truncated) \(spec.name) requests were left-truncated to the model's \(backend.maxLength)-token context (lm-eval convention)")
            }
            log(String(format: "  %@%@: %@ %.4f over %d items%@", spec.name, spec.variant.map { " (\($0))" } ?? "",
                       report.metric, report.acc, report.n, report.partial ? " [partial: \(report.partialReasons.joined(separator: "; "))]" : ""))
            metrics.append(MetricRecord(benchmark: spec.name, value: report.acc, n: report.n, settings: settings))
            metrics.append(MetricRecord(benchmark: spec.name, metric: "accuracy_micro", value: report.accMicro, n: report.n, settings: settings))
            metrics.append(MetricRecord(benchmark: spec.name, metric: "accuracy_macro", value: report.accMacro, n: report.n, settings: settings))
            if let norm = report.accNorm {
                metrics.append(MetricRecord(benchmark: spec.name, metric: "accuracy_norm", value: norm, n: report.n, settings: settings))
            }
            for name in report.subsetOrder {
                guard let s = report.subsets[name] else { continue }
                metrics.append(MetricRecord(benchmark: spec.name, subset: name, value: s.acc, n: s.n,
                                            settings: compositions?.subsetSettings(definition, shots: spec.shots, subset: name) ?? .object([:])))
            }
            for (i, r) in report.samples.enumerated() {
                let prediction = r.generated ?? r.pred.map(String.init) ?? ""
                let target = r.target ?? r.gold.map(String.init) ?? ""
                var detail: [String: JSONValue] = ["prompt_id": .string(r.promptId)]
                if let idx = r.promptId.firstIndex(of: "/"), definition.format == .trainingHeldOut {
                    detail["example_id"] = .string(String(r.promptId[r.promptId.index(after: idx)...]))
                }
                if let lls = r.choiceLoglikelihoods { detail["choice_loglikelihoods"] = .array(lls.map(JSONValue.double)) }
                if let answer = r.extractedAnswer { detail["extracted_answer"] = .string(answer) }
                samples.append(StoredSample(benchmark: spec.name, subset: r.subset, index: i, prediction: prediction,
                                            target: target, correct: r.correct, detail: .object(detail)))
            }
        }
        return (metrics, samples)
    }

    /// Fails before any training when a benchmark's protocol needs data the directory lacks, naming it.
    static func requireData(_ cell: ResolvedCell, dataDirectory: String?) throws {
        let data = try DataDirectory.resolve(explicit: dataDirectory).existing()
        for spec in cell.benchmarks {
            let definition = try BenchmarkRegistry.definition(name: spec.name, variant: spec.variant)
            let missing = definition.missingData(in: data)
            if !missing.isEmpty {
                throw EvaluationError.missingRequiredData(benchmark: definition.label, dataDirectory: data.root.path, missing: missing)
            }
        }
    }

    /// The report's settings plus version, variant and partial-ness, as the store's JSON.
    static func settingsJSON(_ report: EvaluationReport) throws -> JSONValue {
        let encoded = String(decoding: try JSONEncoder().encode(report.settings), as: UTF8.self)
        guard case .object(var object) = try JSONValue.parse(encoded) else { return .null }
        object["benchmark_version"] = .string(report.version)
        object["variant"] = report.variant.map(JSONValue.string) ?? .null
        object["metric"] = .string(report.metric)
        object["partial"] = .bool(report.partial)
        object["partial_reasons"] = .array(report.partialReasons.map(JSONValue.string))
        object["backend"] = .string(report.backend)
        return .object(object)
    }
}

/// Forwards evaluator progress to the runner's progress line.
final class CellEvaluationProgress: EvaluationProgress {
    let benchmark: String
    let report: (CellProgress) -> Void
    init(benchmark: String, report: @escaping (CellProgress) -> Void) { self.benchmark = benchmark; self.report = report }
    func update(subset: String, itemsDone: Int, itemsTotal: Int) {
        report(CellProgress(phase: "eval \(benchmark)", done: itemsDone, total: itemsTotal))
    }
    func finish(itemsTotal: Int) { report(CellProgress(phase: "eval \(benchmark)", done: itemsTotal, total: itemsTotal)) }
}
