import Foundation
import struct Data.DataDirectory
import Engine
import Models
import Adapters
import Training
import Evaluation
import struct Data.TokenizedExample

/// LoRAHub's stage 2 inside a harness cell: LoRAHub composes per *target task*, so every evaluated
/// subset (BBH task, MMLU subject) gets its own combination of the upstream LoRAs, searched on that
/// subset's few-shot source (`FewShotTargets`: MMLU dev rows, BBH cot-prompt exemplars or
/// instruct-eval's unscored leading items), rendered in the benchmark's own template with the gold
/// answer as the target and tokenized exactly as the evaluator feeds a scored request — never a
/// scored item. LoRAHub used 5 target examples; a subset whose source holds fewer uses what there
/// is, and the stored evaluation settings say so.
///
/// `activate` runs from the evaluator's `beforeSubset` hook and leaves the subset's composed adapter
/// on the decoder. Searched weights are cached per (cell, benchmark, subset) as `CompositionRecord`s
/// under `<checkpoint>/lorahub/<benchmark>-<variant>-<k>shot/<subset>.json`: a resumed cell composes
/// from the cache instead of searching again.
final class SubsetCompositions {
    let upstream: [UpstreamLoRA]
    let decoder: LlamaDecoder
    let searchSteps: Int
    let runSeed: UInt64
    let folder: URL
    let data: DataDirectory
    let log: (String) -> Void
    /// One buffer holds the current subset's composition; subsets are scored one after another.
    let composed: LoRAParameters
    let adapter: LoRAAdapter
    let plans: ActivationPlans
    /// Records by benchmark key, then subset.
    private(set) var records: [String: [String: CompositionRecord]] = [:]
    private(set) var cachedSubsets: Set<String> = []
    /// Forward-only work of all compositions (cached ones count the work that produced them).
    private(set) var samples = 0
    private(set) var tokens = 0
    private(set) var evaluations = 0
    private(set) var searchSeconds = 0.0

    let searchLoss: LoRAHubSearchLoss

    init(upstream: [UpstreamLoRA], decoder: LlamaDecoder, searchSteps: Int, searchLoss: LoRAHubSearchLoss, runSeed: UInt64,
         folder: URL, data: DataDirectory, log: @escaping (String) -> Void) {
        self.searchLoss = searchLoss
        precondition(!upstream.isEmpty, "SubsetCompositions: no upstream LoRAs")
        self.upstream = upstream; self.decoder = decoder; self.searchSteps = searchSteps; self.runSeed = runSeed
        self.folder = folder; self.data = data; self.log = log
        composed = LoRAParameters(config: upstream[0].parameters.config, model: decoder.config)
        adapter = LoRAAdapter(composed)
        plans = ActivationPlans(config: decoder.config)
    }

    static func benchmarkKey(_ def: BenchmarkDefinition, shots: Int) -> String {
        def.name + (def.variant.map { "-" + $0 } ?? "") + "-\(shots)shot"
    }

    /// Composes (from the cache, or by searching) the adapter of `subset` and puts it on the decoder.
    func activate(_ def: BenchmarkDefinition, shots: Int, subset: String, backend: ModelBackend) throws {
        let key = Self.benchmarkKey(def, shots: shots)
        let targets = try FewShotTargets.examples(def, subset: subset, shots: shots, count: LoRAHubDefaults.targetExamples, data: data)
        guard !targets.isEmpty else {
            throw EvaluationError.invalidOption("lorahub: \(key)/\(subset) has no examples outside its scored items to compose from "
                                                + "(\(FewShotTargets.sourceDescription(def)))")
        }
        let upstreamIDs = upstream.map(\.taskID)
        let seed = LoRAHubDefaults.searchSeed(run: runSeed, target: "\(key)/\(subset)")
        let url = folder.appendingPathComponent(key).appendingPathComponent(subset + ".json")
        let record: CompositionRecord
        if let cached = CompositionRecord.read(url),
           cached.matches(upstreamTasks: upstreamIDs, searchSteps: searchSteps, seed: seed, targetExamples: targets.map(\.id)) {
            LoRAHub.compose(upstream: upstream.map(\.parameters), weights: cached.weights, into: composed)
            record = cached
            cachedSubsets.insert("\(key)/\(subset)")
        } else {
            let tokenized = try targets.map { t -> TokenizedExample in
                let (context, answer) = try backend.encode(LoglikelihoodRequest(context: t.context, continuation: t.answer))
                return TokenizedExample(exampleID: t.id, task: subset, inputIDs: context + answer,
                                        labels: [Int](repeating: TokenizedExample.ignoreLabel, count: context.count) + answer,
                                        promptTokenCount: context.count, truncated: false)
            }
            let outcome = try CompositionSearch.run(decoder: decoder, upstream: upstream.map(\.parameters), targets: tokenized,
                                                    searchSteps: searchSteps, seed: seed, plans: plans, loss: searchLoss, into: composed)
            record = CompositionRecord(target: "\(key)/\(subset)", upstreamTasks: upstreamIDs, outcome: outcome,
                                       searchSteps: searchSteps, seed: seed, targetExamples: targets.map(\.id))
            try record.write(to: url)
            searchSeconds += outcome.wallSeconds
            log(String(format: "  lorahub %@/%@: %d target(s), loss %.4f → %.4f", key, subset, targets.count,
                       outcome.baseLoss, outcome.targetLoss))
        }
        samples += record.samples
        tokens += record.tokens
        evaluations += record.evaluations
        records[key, default: [:]][subset] = record
        decoder.adapter = adapter
    }

    /// The benchmark-level LoRAHub settings stored with its metrics: upstream LoRAs, search, the
    /// target source and how many targets each subset had, and any deviation from LoRAHub's 5.
    func settings(_ def: BenchmarkDefinition, shots: Int) -> JSONValue {
        let key = Self.benchmarkKey(def, shots: shots)
        let bySubset = records[key] ?? [:]
        let counts = bySubset.mapValues { $0.targetExamples.count }
        var o: [String: JSONValue] = [
            "upstream_tasks": .array(upstream.map { .string($0.taskID) }),
            "search_steps": .int(searchSteps), "l1": .double(LoRAHubDefaults.l1),
            "bounds": .array([.double(Double(LoRAHubDefaults.bounds.lowerBound)), .double(Double(LoRAHubDefaults.bounds.upperBound))]),
            "target_source": .string(FewShotTargets.sourceDescription(def)),
            "target_examples": .object(counts.mapValues { JSONValue.int($0) }),
            "cached_subsets": .int(bySubset.keys.filter { cachedSubsets.contains("\(key)/\($0)") }.count),
        ]
        let short = counts.filter { $0.value < LoRAHubDefaults.targetExamples }
        if !short.isEmpty {
            let sizes = Set(short.values).sorted().map(String.init).joined(separator: "/")
            o["deviation"] = .string("\(short.count) of \(counts.count) subsets composed from \(sizes) target example(s) instead of LoRAHub's "
                                     + "\(LoRAHubDefaults.targetExamples): their few-shot source holds no more items outside the scored ones")
        }
        return .object(o)
    }

    /// One subset's composition: its weights per upstream task, targets, and target loss before/after.
    func subsetSettings(_ def: BenchmarkDefinition, shots: Int, subset: String) -> JSONValue {
        guard let r = records[Self.benchmarkKey(def, shots: shots)]?[subset] else { return .object([:]) }
        return .object(["lorahub": .object([
            "target_examples": .array(r.targetExamples.map(JSONValue.string)),
            "weights": .object(r.weightsByTask.mapValues { .double(Double($0)) }),
            "target_loss": .double(r.targetLoss), "base_target_loss": .double(r.baseLoss),
        ])])
    }
}
