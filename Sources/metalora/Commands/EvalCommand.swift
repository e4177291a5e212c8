import ArgumentParser
import Foundation
import struct Data.DataDirectory
import Engine
import Models
import Evaluation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Evaluate a model (and adapter) on a benchmark with pinned lm-evaluation-harness settings.")

    @OptionGroup var options: ModelOptions
    @Option(help: "A benchmark of Sources/Evaluation/Benchmarks/benchmarks.yaml (mmlu, mmlu-math, bbh, xcopa, xstorycloze, xwinograd, exams).") var benchmark: String
    @Option(help: "Comma-separated MMLU subjects, BBH tasks or languages.") var subsets: String?
    @Option(parsing: .unconditional, help: "Few-shot count (default: the benchmark's).") var shots: Int?
    @Option(parsing: .unconditional, help: "First N items of each subject/task/language, in file order.") var limit: Int?
    @Option(help: "Protocol variant of benchmarks that have several (bbh: direct | cot | instruct-eval | opencompass | rlora; default the first).") var variant: String?
    @Option(name: .customLong("data-dir"), help: "The data mirror (default: $METALORA_DATA, then ./data).") var dataDir: String?
    @Option(name: .customLong("samples-dir"), help: "Folder for the per-sample logs, lm-eval --log_samples format: one samples_<task>_<date>.jsonl per subset (default results/samples/<benchmark>-<date>).") var samplesDir: String?
    @Flag(name: .customLong("no-prefix-cache"), help: "Disable KV-cache reuse of shared prefixes.") var noPrefixCache = false
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Count the work (tokens, attention pairs, FLOPs) without running the model, and bound the run's time from below by this machine's matrix-product rate (sgemm; in bf16 oneDNN's bf16 rate).")
    var estimate = false

    func run() throws {
        let definition = try BenchmarkRegistry.definition(name: benchmark, variant: variant)
        let evalOptions = EvaluationOptions(
            dataDirectory: try DataDirectory.resolve(explicit: dataDir).existing(),
            subsets: subsets?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
            shots: shots, limit: limit, progress: StderrProgressPrinter(label: benchmark))
        let m = try options.load()
        let backend = try ModelBackend(model: m, prefixReuse: !noPrefixCache)
        backend.adapterDescription = options.adapter
        if estimate { return try printEstimate(definition, backend: backend, options: evalOptions) }
        let report = try Evaluator.run(definition, backend: backend, options: evalOptions)
        if StageTimer.enabled { note(StageTimer.report()) }
        note("work: " + WorkSummary.describe(backend.cost, config: m.config, seconds: report.elapsedSeconds))
        if backend.truncatedRequests > 0 {
            note("note: \(backend.truncatedRequests) requests were left-truncated to the model's \(backend.maxLength)-token context (lm-eval convention)")
        }
        let date = LMEvalSampleLog.dateId()
        let samplesURL = URL(fileURLWithPath: samplesDir ?? "results/samples/\(benchmark)-\(date)")
        let files = try LMEvalSampleLog.write(report.samples, to: samplesURL, dateId: date)
        note("per-sample logs (lm-eval format): \(files.count) file(s) in \(samplesURL.path)")
        if json { print(String(decoding: try report.jsonData(), as: UTF8.self)) } else { print(ReportTable.render(report)) }
    }

    func printEstimate(_ definition: BenchmarkDefinition, backend: ModelBackend, options: EvaluationOptions) throws {
        let start = Date()
        let (items, cost) = try Evaluator.plannedCost(definition, backend: backend, options: options)
        let planning = Date().timeIntervalSince(start)
        let shapes = backend.model.config.projectionShapes
        let rate = SgemmRate.measure(shapes: shapes).median
        let flops = cost.flops(for: backend.model.config)
        // bf16 runs every product at the bf16 rate: the linear layers, the LM head and attention's
        // two (decoding steps' few query rows stay float32, too little work to count).
        let bf16Rate = backend.model.decoder.precision == .bf16 ? try BF16Rate.measure(shapes: shapes).median : nil
        let bound = flops.total / ((bf16Rate ?? rate) * 1e9)
        if json {
            let object: [String: Any] = [
                "benchmark": definition.name, "items": items, "prefix_reuse": backend.prefixReuse,
                "tokens": cost.tokens, "attention_pairs": cost.attentionPairs, "logit_rows": cost.logitRows,
                "tflop": flops.total / 1e12, "tflop_linear": flops.linear / 1e12, "tflop_attention": flops.attention / 1e12,
                "tflop_lm_head": flops.head / 1e12, "sgemm_gflops": rate, "lower_bound_seconds": bound,
                "precision": backend.model.decoder.precision.rawValue, "bf16_gemm_gflops": bf16Rate ?? NSNull(),
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("estimate: \(definition.name), \(items) items, prefix reuse \(backend.prefixReuse ? "on" : "off") (planned in \(String(format: "%.1f", planning)) s, nothing run)")
        print("  " + WorkSummary.describe(cost, config: backend.model.config, seconds: nil))
        print(String(format: "  sgemm now: %.0f GFLOP/s at the model's projection shapes", rate))
        if let bf16Rate {
            print(String(format: "  bf16 gemm now: %.0f GFLOP/s at the same shapes (oneDNN)", bf16Rate))
            print("  lower bound: \(StderrProgressPrinter.format(bound)) (all products at the bf16 rate; real runs add attention's softmax, the rounding to bf16 and memory traffic)")
        } else {
            print("  lower bound: \(StderrProgressPrinter.format(bound)) (float32 work at the sgemm rate; real runs add attention's softmax and memory traffic)")
        }
    }
}

/// One line on the work a run did: tokens, attention pairs and FLOPs by kind, and the rate.
enum WorkSummary {
    static func describe(_ cost: ForwardCost, config: LlamaConfig, seconds: Double?) -> String {
        let f = cost.flops(for: config)
        var s = String(format: "%d tokens, %.2e attention pairs, %.2f TFLOP (linear %.2f, attention %.2f, LM head %.2f)",
                       cost.tokens, Double(cost.attentionPairs), f.total / 1e12, f.linear / 1e12, f.attention / 1e12, f.head / 1e12)
        if let seconds, seconds > 0 { s += String(format: " in %.1f s = %.0f GFLOP/s", seconds, f.total / seconds / 1e9) }
        return s
    }
}
