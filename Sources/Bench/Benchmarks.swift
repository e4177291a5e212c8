import Foundation
import struct Data.DataDirectory
import Engine
import Models
import Adapters
import Evaluation
import Training

/// The measurements behind `metalora bench`. FLOP counts follow the PyTorch reference's formulas so figures
/// compare with the PyTorch reference: scoring = 2·P + 4·L·T·d per token; training =
/// 4·P + 6·P_lora + 12·L·T·d per token (frozen base: forward and activation gradients only).
/// Each part names its precision: the plain parts run float32, the `-bf16` parts bf16
/// (`Precision`), and the model is back in float32 after each part.
public final class Benchmarks {
    let model: LanguageModel
    let repeats: Int
    let dataDir: String
    let log: (String) -> Void
    /// MMLU picks of the float32 run, compared with the bf16 run's when both parts ran.
    var float32Picks: [String]?
    /// Batch × length of the paper-scale parts (8 × 512 unless `bench --paper-shape` says otherwise).
    public var paperScaleShape = (batch: 8, length: 512)

    /// Every part, in the order `bench` runs them by default.
    public static let parts = ["sgemm", "bf16-gemm", "score", "score-bf16", "generate", "tokenize", "mmlu", "mmlu-bf16", "zero-shot",
                               "train-8x256", "train-8x512", "train-8x512-bf16", "train-8x512-recompute-mlp",
                               "train-8x512-recompute-layer", "meta-lora"]
    /// Parts that need a CPU with bf16 products.
    public static func needsBF16(_ part: String) -> Bool { part.hasSuffix("bf16") || part == "bf16-gemm" }
    /// Parts run in a child process of their own (so each peak RSS is its own).
    public static func runsInChild(_ part: String) -> Bool { part.hasPrefix("train-") || part.hasPrefix("llama") }

    public init(model: LanguageModel, repeats: Int, dataDir: String, log: @escaping (String) -> Void) {
        self.model = model; self.repeats = repeats; self.dataDir = dataDir; self.log = log
    }

    /// The data mirror as the evaluator reads it.
    var evaluationData: DataDirectory { DataDirectory(root: URL(fileURLWithPath: dataDir)) }

    /// Runs one part (in `parts`) and returns its keys.
    public func run(_ part: String) throws -> [String: Any] {
        if Self.paperScaleParts.values.joined().contains(part) { return try paperScale(part) }
        guard Self.parts.contains(part) else { throw BenchError.unknownPart(part) }
        let precision: Precision = Self.needsBF16(part) ? .bf16 : .f32
        try model.decoder.setPrecision(precision)
        defer { try? model.decoder.setPrecision(.f32) }
        switch part {
        case "sgemm": return sgemm()
        case "bf16-gemm": return try bf16GEMM()
        case "score": return try score(batch: 8, length: 512)
        case "score-bf16": return try score(batch: 8, length: 512)
        case "generate": return try generate(prompt: 256, newTokens: 128)
        case "tokenize": return try tokenize()
        case "mmlu": return try mmlu()
        case "mmlu-bf16": return try mmluBF16()
        case "zero-shot": return try zeroShot()
        case "train-8x256": return try train(batch: 8, length: 256)
        case "train-8x512", "train-8x512-bf16": return try train(batch: 8, length: 512)
        case "train-8x512-recompute-mlp": return try train(batch: 8, length: 512, recompute: .mlp)
        case "train-8x512-recompute-layer": return try train(batch: 8, length: 512, recompute: .layer)
        default: return try metaLoRAIteration()
        }
    }

    /// "_bf16" in bf16, nothing in float32: the key infix of the current precision.
    var precisionInfix: String { model.decoder.precision == .bf16 ? "_bf16" : "" }

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

    /// oneDNN's bf16 product at the same shapes (weights packed once, inputs rounded per call), the
    /// reference rate for the bf16 parts' fractions.
    func bf16GEMM() throws -> [String: Any] {
        let (rate, rates, implementation) = try BF16Rate.measure(shapes: model.config.projectionShapes, repeats: repeats)
        log(String(format: "bf16 gemm at model shapes: %.1f GFLOP/s (per shape %@; %@)", rate,
                   rates.map { String(format: "%.0f", $0) }.joined(separator: ", "), implementation))
        return ["bf16_gemm_gflops": rate, "bf16_gemm_gflops_by_shape": rates, "bf16_gemm_implementation": implementation]
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
        let p = precisionInfix
        log(String(format: "score %dx%d%@: %.0f tokens/s (%.1f GFLOP/s)", batch, length, p, tokens / seconds, tokens / seconds * flopsPerToken / 1e9))
        return ["score_\(batch)x\(length)\(p)_tokens_per_s": tokens / seconds, "score\(p)_gflops": tokens / seconds * flopsPerToken / 1e9]
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
        float32Picks = picks[true]
        let identical = picks[true] == picks[false]
        log(String(format: "mmlu: %.2f q/s with reuse, %.2f without (picks identical: %@)",
                   rates["mmlu_questions_per_s"]!, rates["mmlu_questions_per_s_no_reuse"]!, identical ? "yes" : "NO"))
        var out: [String: Any] = rates
        out["mmlu_reuse_speedup"] = rates["mmlu_questions_per_s"]! / rates["mmlu_questions_per_s_no_reuse"]!
        out["mmlu_picks_identical"] = identical
        return out
    }

    /// The MMLU part in bf16, prefix reuse on; its picks are compared with the float32 part's when
    /// that ran first in the same bench.
    func mmluBF16() throws -> [String: Any] {
        let definition = try BenchmarkRegistry.definition(name: "mmlu")
        _ = model.fileHash
        let backend = try ModelBackend(model: model)
        let options = EvaluationOptions(dataDirectory: evaluationData, subsets: ["abstract_algebra", "anatomy", "astronomy"], limit: 20)
        let start = Date()
        let report = try Evaluator.run(definition, backend: backend, options: options)
        let seconds = Date().timeIntervalSince(start)
        var out: [String: Any] = ["mmlu_bf16_questions_per_s": Double(report.n) / seconds,
                                  "mmlu_bf16_gflops": backend.cost.flops(for: model.config).total / seconds / 1e9]
        let picks = report.samples.map { "\($0.promptId):\($0.pred ?? -1)" }
        if let reference = float32Picks, reference.count == picks.count {
            out["mmlu_bf16_picks_equal_f32"] = Double(zip(picks, reference).filter { $0 == $1 }.count) / Double(picks.count)
        }
        log(String(format: "mmlu bf16: %.2f q/s", Double(report.n) / seconds))
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
    /// `recompute`: what the backward pass recomputes (gate/up, or whole layers) instead of saving.
    func train(batch: Int, length: Int, recompute: ActivationRecomputation = .none) throws -> [String: Any] {
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
        let acts = DecoderActivations(config: c, batch: batch, seqLen: length, saveForBackward: true, recompute: recompute)
        let seconds = try time {
            parameters.zeroGradients()
            try model.decoder.lossAndGradients(b, acts)
            optimizer.step()
        }
        let tokens = Double(batch * length)
        let flopsPerToken = 4 * Double(model.weights.matmulParameterCount) + 6 * Double(parameters.parameterCount)
            + 12 * Double(c.layerCount * length * c.hiddenSize)
        let peak = Memory.peakResidentMiB()
        let shape = "\(batch)x\(length)" + (recompute == .none ? "" : "_recompute_\(recompute.rawValue)") + precisionInfix
        log(String(format: "train %@: %.0f tokens/s, %.1f GFLOP/s, peak RSS %.0f MiB", shape, tokens / seconds,
                   tokens / seconds * flopsPerToken / 1e9, peak))
        var out: [String: Any] = ["train_\(shape)_tokens_per_s": tokens / seconds,
                                  "train_peak_rss_mib": [shape: peak]]
        if length == 256 && recompute == .none { out["train_gflops"] = tokens / seconds * flopsPerToken / 1e9 }
        if model.decoder.precision == .bf16 { out["train_bf16_gflops"] = tokens / seconds * flopsPerToken / 1e9 }
        return out
    }

    /// Ratios derived from the parts' keys: achieved rates as fractions of the library rate of
    /// their precision (sgemm, bf16 gemm) and bf16's speed-ups over float32. Only keys whose
    /// inputs are present are added.
    public static func derivedRatios(_ out: [String: Any]) -> [String: Double] {
        func value(_ k: String) -> Double? { out[k] as? Double }
        var ratios: [String: Double] = [:]
        for (reference, work) in [("sgemm_gflops", ["train", "score", "mmlu"]), ("bf16_gemm_gflops", ["train_bf16", "score_bf16", "mmlu_bf16"])] {
            guard let rate = value(reference), rate > 0 else { continue }
            let name = reference == "sgemm_gflops" ? "sgemm" : "bf16_gemm"
            for w in work { if let x = value("\(w)_gflops") { ratios["\(w)_fraction_of_\(name)"] = x / rate } }
        }
        for (name, bf16, f32) in [("score_bf16_speedup", "score_8x512_bf16_tokens_per_s", "score_8x512_tokens_per_s"),
                                  ("train_bf16_speedup", "train_8x512_bf16_tokens_per_s", "train_8x512_tokens_per_s"),
                                  ("mmlu_bf16_speedup", "mmlu_bf16_questions_per_s", "mmlu_questions_per_s"),
                                  ("bf16_gemm_speedup_over_sgemm", "bf16_gemm_gflops", "sgemm_gflops")] {
            if let x = value(bf16), let y = value(f32), y > 0 { ratios[name] = x / y }
        }
        return ratios
    }
}

public enum BenchError: Error, CustomStringConvertible {
    case unknownPart(String)
    case wrongModel(part: String, model: String, reason: String)
    case wouldNotFit(part: String, neededMiB: Double, availableMiB: Double)
    public var description: String {
        switch self {
        case .unknownPart(let p):
            return "unknown bench part '\(p)'; valid: \((Benchmarks.parts + Benchmarks.paperScaleParts.keys.sorted()).joined(separator: ", "))"
        case let .wrongModel(part, model, reason): return "bench \(part): \(model) \(reason)"
        case let .wouldNotFit(part, needed, available):
            return String(format: "bench %@: needs about %.0f MiB (weights + activations at 8x512) but %.0f MiB are available; not run", part, needed, available)
        }
    }
}

/// Resident memory from /proc/self/status.
public enum Memory {
    public static func peakResidentMiB() -> Double { field("VmHWM") }
    public static func residentMiB() -> Double { field("VmRSS") }
    /// MemAvailable from /proc/meminfo, in bytes (-1 when unreadable).
    public static func availableBytes() -> Int {
        guard let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return -1 }
        for line in info.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            return kilobytes(line).map { Int($0) * 1024 } ?? -1
        }
        return -1
    }
    static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return kilobytes(line).map { $0 / 1024 } ?? -1
        }
        return -1
    }
    /// The number of a `/proc` line such as "VmHWM:\t 9144500 kB". The kernel pads the number to
    /// eight columns after the tab, so from 10,000,000 kB on no space precedes it: split on both.
    public static func kilobytes(_ line: Substring) -> Double? {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }.first
    }
}
