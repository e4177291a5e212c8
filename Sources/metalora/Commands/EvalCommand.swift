import ArgumentParser
import Foundation
import Engine
import Models
import Evaluation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Evaluate a model (and adapter) on a benchmark with pinned lm-evaluation-harness settings.")

    @OptionGroup var options: ModelOptions
    @Option(help: "mmlu | mmlu-math | bbh | xcopa | xstorycloze | xwinograd | exams") var benchmark: String
    @Option(help: "Comma-separated MMLU subjects, BBH tasks or languages.") var subsets: String?
    @Option(help: "Few-shot count (default: the benchmark's).") var shots: Int?
    @Option(help: "First N items of each subject/task/language, in file order.") var limit: Int?
    @Option(help: "BBH variant: direct | cot | instruct-eval.") var variant: String?
    @Option(name: .customLong("data-dir"), help: "The data mirror (default: $METALORA_DATA, then ./data).") var dataDir: String?
    @Option(help: "Per-sample records (JSONL); default results/samples/<benchmark>-<time>.jsonl.") var samples: String?
    @Flag(name: .customLong("no-prefix-cache"), help: "Disable KV-cache reuse of shared prefixes.") var noPrefixCache = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let definition = try BenchmarkRegistry.definition(name: benchmark, variant: variant)
        let evalOptions = EvaluationOptions(
            dataDirectory: try DataDirectory.resolve(explicit: dataDir),
            subsets: subsets?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
            shots: shots, limit: limit, progress: StderrProgressPrinter(label: benchmark))
        let m = try options.load()
        let backend = try ModelBackend(model: m, prefixReuse: !noPrefixCache)
        backend.adapterDescription = options.adapter
        let report = try Evaluator.run(definition, backend: backend, options: evalOptions)
        if StageTimer.enabled { note(StageTimer.report()) }
        if backend.truncatedRequests > 0 {
            note("note: \(backend.truncatedRequests) requests were left-truncated to the model's \(backend.maxLength)-token context (lm-eval convention)")
        }
        let samplesURL = URL(fileURLWithPath: samples ?? "results/samples/\(benchmark)-\(Int(Date().timeIntervalSince1970)).jsonl")
        try FileManager.default.createDirectory(at: samplesURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SampleRecordWriter.write(report.samples, to: samplesURL)
        note("per-sample records: \(samplesURL.path)")
        if json { print(String(decoding: try report.jsonData(), as: UTF8.self)) } else { print(ReportTable.render(report)) }
    }
}
