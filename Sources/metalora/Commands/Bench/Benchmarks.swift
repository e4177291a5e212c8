import Foundation
import Engine
import Models
import Adapters
import Evaluation
import Training

/// The measurements behind `metalora bench`. FLOP counts follow the PyTorch reference's formulas so figures
/// compare with the PyTorch reference: scoring = 2·P + 4·L·T·d per token; training =
/// 4·P + 6·P_lora + 12·L·T·d per token (frozen base: forward and activation gradients only).
struct Benchmarks {
    let model: LanguageModel
    let repeats: Int
    let dataDir: String
    let log: (String) -> Void

    /// The data mirror as the evaluator reads it.
    var evaluationData: DataDirectory { DataDirectory(url: URL(fileURLWithPath: dataDir)) }

    func run(_ part: String) throws -> [String: Any] {
        switch part {
        case "sgemm": return sgemm()
        case "score": return try score(batch: 8, length: 512)
        case "generate": return try generate(prompt: 256, newTokens: 128)
        case "tokenize": return try tokenize()
        case "mmlu": return try mmlu()
        case "zero-shot": return try zeroShot()
        case "train-8x256": return try train(batch: 8, length: 256)
        case "train-8x512": return try train(batch: 8, length: 512)
        case "train-8x512-recompute-mlp": return try train(batch: 8, length: 512, recomputeMLP: true)
        case "meta-lora": return try metaLoRAIteration()
        default: return [:]
        }
    }

    /// Median wall time of `body` over `repeats` runs after one warm-up.
    func time(_ body: () throws -> Void) rethrows -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    func randomBatch(batch: Int, length: Int, seed: UInt64, labels: Bool) -> TokenBatch {
        var rng = SplitMix64(seed: seed)
        let v = UInt64(model.config.vocabularySize)
        let ids = (0..<batch).map { _ in (0..<length).map { _ in Int(rng.next() % v) } }
        return TokenBatch(inputIds: ids, labels: labels ? ids : nil)
    }

    /// sgemm at the model's projection shapes (4096 rows), the reference rate for fractions.
    func sgemm() -> [String: Any] {
        let (rate, rates) = SgemmRate.measure(shapes: model.config.projectionShapes, repeats: repeats)
        log(String(format: "sgemm at model shapes: %.1f GFLOP/s (per shape %@)", rate, rates.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
        return ["sgemm_gflops": rate, "sgemm_gflops_by_shape": rates]
    }

    func score(batch: Int, length: Int) throws -> [String: Any] {
        let b = randomBatch(batch: batch, length: length, seed: 1, labels: true)
        let acts = DecoderActivations(config: model.config, batch: batch, seqLen: length, saveForBackward: false)
        let seconds = try time {
            try model.decoder.forward(b, acts)
            _ = model.decoder.scoreTargets(b, acts)
        }
        let tokens = Double(batch * length)
        let c = model.config
        let flopsPerToken = 2 * Double(model.weights.matmulParameterCount) + 4 * Double(c.layerCount * length * c.hiddenSize)
        log(String(format: "score %dx%d: %.0f tokens/s (%.1f GFLOP/s)", batch, length, tokens / seconds, tokens / seconds * flopsPerToken / 1e9))
        return ["score_\(batch)x\(length)_tokens_per_s": tokens / seconds, "score_gflops": tokens / seconds * flopsPerToken / 1e9]
    }

    func generate(prompt: Int, newTokens: Int) throws -> [String: Any] {
        let ids = randomBatch(batch: 1, length: prompt, seed: 2, labels: false).ids.map(Int.init)
        // Never stop early: no stop tokens, so exactly `newTokens` are produced.
        let generator = GreedyGenerator(decoder: model.decoder, stopTokens: []) { _ in "" }
        var produced = 0
        let seconds = try time { produced = try generator.generate(prompts: [ids], maxNewTokens: newTokens)[0].tokens.count }
        log(String(format: "generate: %.1f tokens/s (%d new after %d)", Double(produced) / seconds, produced, prompt))
        return ["generate_tokens_per_s": Double(produced) / seconds]
    }

    func tokenize() throws -> [String: Any] {
        let tokenizer = try model.requireTokenizer()
        let folder = URL(fileURLWithPath: dataDir).appendingPathComponent("mmlu/test")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "csv" }.sorted { $0.path < $1.path }
        let throughput = try Tokenizer.benchmarkMBPerSecond(tokenizer, files: files)
        log(String(format: "tokenize MMLU test CSVs: %.1f MB/s", throughput.megabytesPerSecond))
        return ["tokenize_mb_per_s": throughput.megabytesPerSecond, "tokenize_tokens_per_s": throughput.tokensPerSecond]
    }

    /// MMLU 5-shot, first 20 questions of 3 subjects, with and without prefix reuse (identical picks required).
    func mmlu() throws -> [String: Any] {
        let definition = try BenchmarkRegistry.definition(name: "mmlu")
        let subjects = ["abstract_algebra", "anatomy", "astronomy"]
        _ = model.fileHash   // a one-time cost of loading (reports name the file's hash), not of scoring
        var rates: [String: Double] = [:]
        var picks: [Bool: [String]] = [:]
        for reuse in [true, false] {
            let backend = try ModelBackend(model: model, prefixReuse: reuse)
            let options = EvaluationOptions(dataDirectory: evaluationData,
                                            subsets: subjects, limit: 20)
            let start = Date()
            let report = try Evaluator.run(definition, backend: backend, options: options)
            let seconds = Date().timeIntervalSince(start)
            rates[reuse ? "mmlu_questions_per_s" : "mmlu_questions_per_s_no_reuse"] = Double(report.n) / seconds
            // Positions actually run through the decoder (padding included): the work reuse saves.
            rates[reuse ? "mmlu_tokens_per_s" : "mmlu_tokens_per_s_no_reuse"] = Double(backend.tokensForwarded) / seconds
            rates[reuse ? "mmlu_tokens_per_question" : "mmlu_tokens_per_question_no_reuse"] = Double(backend.tokensForwarded) / Double(report.n)
            // Achieved rate over the exactly counted work (ForwardCost), comparable with sgemm_gflops.
            rates[reuse ? "mmlu_gflops" : "mmlu_gflops_no_reuse"] = backend.cost.flops(for: model.config).total / seconds / 1e9
            picks[reuse] = report.samples.map { "\($0.promptId):\($0.pred ?? -1)" }
        }
        let identical = picks[true] == picks[false]
        log(String(format: "mmlu: %.2f q/s with reuse, %.2f without (picks identical: %@)",
                   rates["mmlu_questions_per_s"]!, rates["mmlu_questions_per_s_no_reuse"]!, identical ? "yes" : "NO"))
        var out: [String: Any] = rates
        out["mmlu_reuse_speedup"] = rates["mmlu_questions_per_s"]! / rates["mmlu_questions_per_s_no_reuse"]!
        out["mmlu_picks_identical"] = identical
        return out
    }

    /// The zero-shot log-likelihood tasks at the sizes lm-evaluation-harness was timed on (the
    /// first 300 XStoryCloze-en items, the first 383 XWinograd-en items), prefix reuse on.
    func zeroShot() throws -> [String: Any] {
        var out: [String: Any] = [:]
        for (benchmark, limit) in [("xstorycloze", 300), ("xwinograd", 383)] {
            let definition = try BenchmarkRegistry.definition(name: benchmark)
            let backend = try ModelBackend(model: model)
            let options = EvaluationOptions(dataDirectory: evaluationData,
                                            subsets: ["en"], limit: limit)
            let start = Date()
            let report = try Evaluator.run(definition, backend: backend, options: options)
            let seconds = Date().timeIntervalSince(start)
            log(String(format: "%@: %d items in %.1f s (%.2f items/s, %.0f tokens/s)", benchmark, report.n, seconds,
                       Double(report.n) / seconds, Double(backend.tokensForwarded) / seconds))
            out["\(benchmark)_items"] = report.n
            out["\(benchmark)_seconds"] = seconds
            out["\(benchmark)_items_per_s"] = Double(report.n) / seconds
            out["\(benchmark)_gflops"] = backend.cost.flops(for: model.config).total / seconds / 1e9
        }
        return out
    }

    /// One MeTA-LoRA iteration at the paper's defaults (n=2, k=3, n_s=n_q=8, 256 tokens): the
    /// sequential loop (task after task) and the batched one (the n tasks through the base together).
    func metaLoRAIteration() throws -> [String: Any] {
        let timing = try MetaLoRABenchmark.iterationSeconds(decoder: model.decoder, seqLen: 256, repeats: max(1, repeats - 1))
        log(String(format: "meta-lora iteration: %.2f s sequential, %.2f s batched", timing.sequentialSeconds, timing.batchedSeconds))
        return ["meta_lora_iteration_s": ["sequential": timing.sequentialSeconds, "batched": timing.batchedSeconds]]
    }

    /// LoRA r=16, alpha 32 on q,k,v,o: forward + backward + AdamW on random ids, all labels valid.
    /// `recomputeMLP`: gate/up recomputed in the backward pass (the long-sequence memory option).
    func train(batch: Int, length: Int, recomputeMLP: Bool = false) throws -> [String: Any] {
        let c = model.config
        let parameters = LoRAParameters(config: LoRAConfig(rank: 16, alpha: 32, targets: [.q, .k, .v, .o]), model: c)
        var rng = SplitMix64(seed: 3)
        parameters.initialiseLikePEFT(rng: &rng)
        model.decoder.adapter = LoRAAdapter(parameters)
        defer { model.decoder.adapter = nil }
        let group = ParameterGroup(name: "lora", parameters: parameters.namedParameters.map { Parameter(name: $0.name, value: $0.value, grad: $0.grad) },
                                   lr: 2e-4, weightDecay: 0)
        let optimizer = AdamW(groups: [group])
        let b = randomBatch(batch: batch, length: length, seed: 4, labels: true)
        let acts = DecoderActivations(config: c, batch: batch, seqLen: length, saveForBackward: true, recomputeMLP: recomputeMLP)
        let seconds = try time {
            parameters.zeroGradients()
            try model.decoder.lossAndGradients(b, acts)
            optimizer.step()
        }
        let tokens = Double(batch * length)
        let flopsPerToken = 4 * Double(model.weights.matmulParameterCount) + 6 * Double(parameters.parameterCount)
            + 12 * Double(c.layerCount * length * c.hiddenSize)
        let peak = Memory.peakResidentMiB()
        let shape = "\(batch)x\(length)" + (recomputeMLP ? "_recompute_mlp" : "")
        log(String(format: "train %@: %.0f tokens/s, %.1f GFLOP/s, peak RSS %.0f MiB", shape, tokens / seconds,
                   tokens / seconds * flopsPerToken / 1e9, peak))
        var out: [String: Any] = ["train_\(shape)_tokens_per_s": tokens / seconds,
                                  "train_peak_rss_mib": [shape: peak]]
        if length == 256 && !recomputeMLP { out["train_gflops"] = tokens / seconds * flopsPerToken / 1e9 }
        return out
    }
}

/// Resident memory from /proc/self/status.
enum Memory {
    static func peakResidentMiB() -> Double { field("VmHWM") }
    static func residentMiB() -> Double { field("VmRSS") }
    static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
            return kb / 1024
        }
        return -1
    }
}
