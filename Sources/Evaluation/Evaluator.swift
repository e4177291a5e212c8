import Foundation
import struct Data.DataDirectory
import Models

/// Runs a benchmark definition against a backend and scores it.
public enum Evaluator {
    /// Looks the benchmark up in `BenchmarkRegistry` (`variant` for BBH only) and runs it.
    public static func run(benchmark: String, variant: String? = nil, backend: EvaluationBackend,
                           options: EvaluationOptions) throws -> EvaluationReport {
        try run(BenchmarkRegistry.definition(name: benchmark, variant: variant), backend: backend, options: options)
    }

    public static func run(_ def: BenchmarkDefinition, backend: EvaluationBackend, options: EvaluationOptions) throws -> EvaluationReport {
        let start = Date()
        let prepared = try ItemPreparation.prepare(def, options: options)
        let total = prepared.totalItems
        var samples: [SampleRecord] = []
        samples.reserveCapacity(total)
        var done = 0
        for subset in prepared.subsets {
            let items = prepared.items[subset] ?? []
            try options.beforeSubset?(subset)
            for batch in batches(items, options: options) {
                samples += try score(Array(batch), def: def, backend: backend) { fraction in
                    options.progress?.update(subset: subset, itemsDone: done + Int(Double(batch.count) * fraction), itemsTotal: total,
                                             tokensDone: backend.tokensForwarded)
                }
                done += batch.count
                options.progress?.update(subset: subset, itemsDone: done, itemsTotal: total, tokensDone: backend.tokensForwarded)
            }
        }
        options.progress?.finish(itemsTotal: total)
        return report(def, prepared: prepared, samples: samples, backend: backend.description, options: options,
                      elapsed: Date().timeIntervalSince(start))
    }

    /// The work `run` would hand the backend (same items, same per-subset chunks), counted without
    /// running the model. Log-likelihood benchmarks only: generation lengths depend on the outputs.
    public static func plannedCost(_ def: BenchmarkDefinition, backend: EvaluationBackend,
                                   options: EvaluationOptions) throws -> (items: Int, cost: ForwardCost) {
        if case .generateUntil = def.scoring {
            throw EvaluationError.invalidOption("\(def.name) is scored by generation, whose length depends on the model's outputs: no estimate")
        }
        let prepared = try ItemPreparation.prepare(def, options: options)
        var cost = ForwardCost()
        for subset in prepared.subsets {
            for batch in batches(prepared.items[subset] ?? [], options: options) {
                cost += try backend.plannedCost(batch.flatMap(\.loglikelihoodRequests))
            }
        }
        return (prepared.totalItems, cost)
    }

    /// One subset's items as `run` hands them to the backend: in order, at most `itemsPerBatch` per call.
    static func batches(_ items: [PreparedItem], options: EvaluationOptions) -> [ArraySlice<PreparedItem>] {
        stride(from: 0, to: items.count, by: max(1, options.itemsPerBatch)).map {
            items[$0..<min(items.count, $0 + max(1, options.itemsPerBatch))]
        }
    }

    /// Scores one batch of items (all of the same definition). `progress` gets the finished fraction.
    static func score(_ items: [PreparedItem], def: BenchmarkDefinition, backend: EvaluationBackend,
                      progress: (Double) -> Void) throws -> [SampleRecord] {
        if case .generateUntil(let stops, let maxNewTokens) = def.scoring {
            let requests: [GenerationRequest] = items.map { item in
                guard case .generation(let prompt, _) = item.task else { return GenerationRequest(prompt: "", stopSequences: stops, maxNewTokens: 0) }
                return GenerationRequest(prompt: prompt, stopSequences: stops, maxNewTokens: maxNewTokens)
            }
            let texts = try backend.generate(requests) { progress(Double($0) / Double(max(1, requests.count))) }
            guard texts.count == requests.count else { throw EvaluationError.backendResultCount(expected: requests.count, got: texts.count) }
            return zip(items, texts).map { item, raw in
                let text = cutAtStop(raw, stops: stops)
                let target: String
                if case .generation(_, let t) = item.task { target = t } else { target = "" }
                let (extracted, correct) = AnswerExtractor.score(generation: text, target: target, rule: def.answerExtraction)
                var r = SampleRecord(benchmark: def.name, variant: def.variant, subset: item.subset, promptId: item.promptId,
                                     gold: nil, target: target, choiceLoglikelihoods: nil, choiceIsGreedy: nil,
                                     pred: nil, predNorm: nil, generated: text, extractedAnswer: extracted,
                                     correct: correct, correctNorm: nil)
                r.lmEvalTarget = target
                r.arguments = [[.string(prompt(of: item)), generationKwargs(stops: stops, maxNewTokens: maxNewTokens)]]
                r.filterName = def.answerExtraction == .none ? "none" : def.answerExtraction.rawValue
                return describe(r, item: item, def: def)
            }
        }
        let requests = items.flatMap(\.loglikelihoodRequests)
        let results = try backend.loglikelihoods(requests) { progress(Double($0) / Double(max(1, requests.count))) }
        guard results.count == requests.count else { throw EvaluationError.backendResultCount(expected: requests.count, got: results.count) }
        var cursor = 0
        return items.map { item in
            let k = item.loglikelihoodRequests.count
            let mine = Array(results[cursor..<cursor + k])
            cursor += k
            let lls = mine.map(\.loglikelihood)
            let (gold, normTexts): (Int, [String])
            switch item.task {
            case .multipleChoice(_, _, let choiceTexts, let g): (gold, normTexts) = (g, choiceTexts)
            case .partialScoring(let contexts, _, let g): (gold, normTexts) = (g, contexts)
            case .generation: (gold, normTexts) = (-1, [])
            }
            let pred = ChoiceScoring.accPick(lls)
            let predNorm = ChoiceScoring.accNormPick(lls, choiceTexts: normTexts)
            var r = SampleRecord(benchmark: def.name, variant: def.variant, subset: item.subset, promptId: item.promptId,
                                 gold: gold, target: nil, choiceLoglikelihoods: lls, choiceIsGreedy: mine.map(\.isGreedy),
                                 pred: pred, predNorm: predNorm, generated: nil, extractedAnswer: nil,
                                 correct: pred == gold, correctNorm: predNorm == gold)
            // lm-eval's doc_to_target: the gold index, or for partial scoring the shared
            // continuation before the target delimiter is put in front of it.
            if case .partialScoring(_, let continuation, _) = item.task {
                r.lmEvalTarget = continuation.hasPrefix(def.targetDelimiter) ? String(continuation.dropFirst(def.targetDelimiter.count)) : continuation
            } else {
                r.lmEvalTarget = String(gold)
            }
            r.arguments = item.loglikelihoodRequests.map { [.string($0.context), .string($0.continuation)] }
            return describe(r, item: item, def: def)
        }
    }

    /// Adds the item's lm-eval identity (doc_id, doc) and the definition's metric names.
    static func describe(_ record: SampleRecord, item: PreparedItem, def: BenchmarkDefinition) -> SampleRecord {
        var r = record
        r.docId = item.docId
        r.doc = item.doc
        r.metricNames = def.metrics.map(\.rawValue)
        return r
    }

    static func prompt(of item: PreparedItem) -> String {
        if case .generation(let prompt, _) = item.task { return prompt }
        return ""
    }

    /// lm-eval's generate_until kwargs for greedy decoding with these stops.
    static func generationKwargs(stops: [String], maxNewTokens: Int) -> PythonJSON {
        .object([("until", .array(stops.map { .string($0) })), ("do_sample", .bool(false)),
                 ("temperature", .double(0)), ("max_gen_toks", .int(maxNewTokens))])
    }

    /// lm-eval cuts generations at the first occurrence of any `until` string; backends should
    /// already have, this makes it certain.
    public static func cutAtStop(_ text: String, stops: [String]) -> String {
        var end = text.endIndex
        for stop in stops where !stop.isEmpty {
            if let r = text.range(of: stop), r.lowerBound < end { end = r.lowerBound }
        }
        return String(text[..<end])
    }

    static func report(_ def: BenchmarkDefinition, prepared: PreparedBenchmark, samples: [SampleRecord],
                       backend: String, options: EvaluationOptions, elapsed: Double) -> EvaluationReport {
        let withNorm = def.metrics.contains(.accNorm)
        let agg = Aggregation.aggregate(samples, order: prepared.subsets, withNorm: withNorm)
        let primaryIsMacro = def.aggregation.primary == .macro
        var reasons: [String] = []
        for gap in def.knownGaps where gap.subset == nil || prepared.subsets.contains(gap.subset!) {
            reasons.append((gap.subset.map { "\($0): " } ?? "") + gap.reason)
        }
        if !prepared.skippedRows.isEmpty {
            let where_ = prepared.skippedRows.map { "\($0.file):\($0.line)" }.joined(separator: ", ")
            reasons.append("\(prepared.skippedRows.count) unscorable row(s) skipped (\(where_)): \(prepared.skippedRows[0].reason)")
        }
        if let limit = options.limit { reasons.append("--limit \(limit): only the first \(limit) items of each subset") }
        if prepared.subsets.count < def.subsets.count {
            reasons.append("only \(prepared.subsets.count) of \(def.subsets.count) subsets: \(prepared.subsets.joined(separator: ","))")
        }
        if prepared.shots != def.fewShot.defaultCount {
            reasons.append("\(prepared.shots)-shot instead of the protocol's \(def.fewShot.defaultCount)-shot")
        }
        let settings = ResolvedSettings(
            split: def.split, shots: prepared.shots, fewShotSource: def.fewShot.source.rawValue,
            fewShotSelection: def.fewShot.selection, template: def.template.text,
            targetDelimiter: def.targetDelimiter, fewshotDelimiter: def.fewshotDelimiter,
            scoring: def.scoring.label, answerExtraction: def.answerExtraction.rawValue,
            metrics: def.metrics.map(\.rawValue), aggregation: def.aggregation.primary.rawValue,
            aggregationRationale: def.aggregation.rationale, limit: options.limit, subsets: prepared.subsets,
            dataDirectory: options.dataDirectory.root.path)
        let metric = def.metrics.contains(.exactMatch) ? Metric.exactMatch.rawValue : Metric.acc.rawValue
        return EvaluationReport(
            benchmark: def.name, variant: def.variant, version: def.version, backend: backend, metric: metric,
            n: agg.n, acc: primaryIsMacro ? agg.macro : agg.micro, accMicro: agg.micro, accMacro: agg.macro,
            accNorm: withNorm ? (primaryIsMacro ? agg.normMacro : agg.normMicro) : nil,
            accNormMicro: agg.normMicro, accNormMacro: agg.normMacro,
            subsets: agg.perSubset, subsetOrder: prepared.subsets.filter { agg.perSubset[$0] != nil },
            settings: settings, partial: !reasons.isEmpty, partialReasons: reasons,
            skippedRows: prepared.skippedRows, notes: def.notes, elapsedSeconds: elapsed, samples: samples)
    }
}
