import ArgumentParser
import Foundation
import Engine
import Models
import Bench

/// `metalora bench --json`: speed and memory as one JSON object. Training shapes run in child
/// processes so each one's peak resident memory is its own.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench",
        abstract: "Measure scoring, generation, tokenization, sgemm, training and MMLU throughput (one JSON object).")

    @OptionGroup var options: ModelOptions
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Comma-separated parts: \(Benchmarks.parts.joined(separator: ",")) (default: all; the -bf16 parts and bf16-gemm run in bf16, the others in f32, whatever --precision says).")
    var only: String?
    @Option(help: "Timed repetitions per measurement (the median is reported; sgemm reports the best).") var repeats = 3
    @Option(name: .customLong("data-dir"), help: "Data mirror for tokenize/mmlu/zero-shot (default ./data).") var dataDir = "data"

    @Flag(name: .customLong("in-process"), help: .hidden) var inProcess = false
    @Option(name: .customLong("paper-shape"), help: "Batch x length of the llama7b/llama13b parts (default 8x512; other shapes are named in their keys).")
    var paperShape = "8x512"

    var paperScaleShape: (batch: Int, length: Int)? {
        let p = paperShape.lowercased().split(separator: "x").compactMap { Int($0) }
        return p.count == 2 && p[0] > 0 && p[1] > 0 ? (p[0], p[1]) : nil
    }

    func run() throws {
        let threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard let shape = paperScaleShape else { throw ValidationError("--paper-shape must be BxT, e.g. 8x512 (got \(paperShape))") }
        Parallel.setThreads(threads)
        if options.precision != .f32 {
            throw ValidationError("bench names the precision of each part (score, score-bf16, …): leave --precision out and pick parts with --only")
        }
        var parts = only.map { $0.split(separator: ",").map(String.init) } ?? Benchmarks.parts
        // llama7b / llama13b stand for their child parts (the children are asked for those by name).
        parts = parts.flatMap { Benchmarks.paperScaleParts[$0] ?? [$0] }
        let childNames = Set(Benchmarks.paperScaleParts.values.joined())
        for p in parts where !Benchmarks.parts.contains(p) && !childNames.contains(p) { throw ValidationError("\(BenchError.unknownPart(p))") }
        var machine = CPUFeatures.current.report
        machine["openblas_core"] = BLAS.coreName
        var out: [String: Any] = ["threads": threads, "model": options.model, "machine": machine, "weights_option": options.weights.rawValue]
        if let reason = Precision.bf16.unavailableReason() {
            let skipped = parts.filter(Benchmarks.needsBF16)
            if !skipped.isEmpty {
                // Asked for by name, a bf16 part this CPU cannot run is an error; in the default set it is skipped, saying why.
                if only != nil { throw ValidationError(reason) }
                note("bench: skipping \(skipped.joined(separator: ", ")): \(reason)")
                out["bf16_skipped"] = reason
                parts.removeAll(where: Benchmarks.needsBF16)
            }
        }
        // Training shapes run in child processes (unless this is that child), so each peak RSS is its own.
        let here = inProcess ? parts : parts.filter { !Benchmarks.runsInChild($0) }
        let children = inProcess ? [] : parts.filter(Benchmarks.runsInChild)
        if !here.isEmpty {
            let model = try options.load(maxSequenceLength: 1024)
            out["weights"] = model.weights.residency.rawValue
            let bench = Benchmarks(model: model, repeats: repeats, dataDir: dataDir, log: json ? note : { print($0) })
            bench.paperScaleShape = shape
            for part in here {
                note("bench: \(part)…")
                for (k, v) in try bench.run(part) { out[k] = v }
            }
        }
        var rss: [String: Any] = (out["train_peak_rss_mib"] as? [String: Any]) ?? [:]
        for part in children {
            note("bench: \(part) (child process)…")
            let child: [String: Any]
            do { child = try runChild(part: part, threads: threads) } catch where part.hasPrefix("llama") {
                // A paper-scale part that cannot run here (too little memory) is reported, not fatal.
                out["\(part)_error"] = "\(error) (its message is above)"
                continue
            }
            for (k, v) in child where (k.hasPrefix("train") || k.hasPrefix("llama") || k.hasPrefix("dequant_fraction")) && k != "train_peak_rss_mib" { out[k] = v }
            if let r = child["train_peak_rss_mib"] as? [String: Any] { rss.merge(r) { $1 } }
        }
        if !rss.isEmpty { out["train_peak_rss_mib"] = rss }
        for (k, v) in Benchmarks.derivedRatios(out) { out[k] = v }
        if StageTimer.enabled { note(StageTimer.report()) }
        if json { try printJSON(out) } else {
            for k in out.keys.sorted() { print("\(k): \(out[k]!)") }
        }
    }

    func runChild(part: String, threads: Int) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["bench", "--json", "--in-process", "--only", part, "--data-dir", dataDir, "--model", options.model, "--threads", String(threads), "--weights", options.weights.rawValue, "--paper-shape", paperShape,
                             "--repeats", String(repeats)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("bench child for \(part) failed (status \(process.terminationStatus))")
        }
        return object
    }
}
