import ArgumentParser
import Foundation
import Engine
import Models
import Bench
import Harness

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
        if children.contains(where: { $0.hasPrefix("llama") }) { addPlanEstimates(&out, parts: children, shape: shape) }
        for (k, v) in Benchmarks.derivedRatios(out) { out[k] = v }
        if StageTimer.enabled { note(StageTimer.report()) }
        if json { try printJSON(out) } else {
            for k in out.keys.sorted() { print("\(k): \(out[k]!)") }
        }
    }

    /// `plan`'s model of the same work beside each paper-scale part's measurement: seconds at this
    /// machine's sgemm rate (results/sgemm-rate.json, measured once) and MiB (the planning model's
    /// activations, adapter and process bytes, plus the weights as the child held them and, when
    /// resident, their dequantization scratch).
    func addPlanEstimates(_ out: inout [String: Any], parts: [String], shape: (batch: Int, length: Int)) {
        guard let model = try? ModelShape.read(URL(fileURLWithPath: options.model)) else { return }
        let rate = MachineRate.gflops(config: model.config, cacheURL: URL(fileURLWithPath: "results/sgemm-rate.json")).gflops
        out["plan_sgemm_gflops"] = rate
        let infix = (shape.batch, shape.length) == (8, 512) ? "" : "_\(shape.batch)x\(shape.length)"
        for part in parts where part.hasPrefix("llama") {
            let pieces = part.split(separator: "-").map(String.init)
            let name = pieces[0], kind = pieces[1]
            let recompute = (out["\(name)_train_recompute"] as? String).flatMap(ActivationRecomputation.init(rawValue:))
            let estimate = CellResourceModel.benchStep(model, batch: shape.batch, length: shape.length, training: kind == "train",
                                                       recompute: recompute, gflops: rate)
            out["\(name)_\(kind)\(infix)_plan_seconds"] = estimate.seconds
            if let weights = out["\(name)_weight_mib"] as? Double {
                // Resident weights add the float32 scratch they are dequantized into (the LM head, the largest matrix).
                let c = model.config
                let scratch = out["\(name)_weights"] as? String == WeightResidency.resident.rawValue ? 4.0 * Double(c.vocabularySize * c.hiddenSize) : 0
                out["\(name)_\(kind)\(infix)_plan_mib"] = (estimate.bytes + scratch) / 1_048_576 + weights
            }
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
