// Profiles (experiments/profiles.yaml): how far a run is scaled down from the paper. A profile caps
// iterations, epochs, data budgets and evaluation sizes and may scale learning rates; the spec
// keeps the science, and every change a profile makes is recorded with the cell and the caption.
import Foundation
import Engine

public struct Profile: Sendable {
    public let name: String
    public let description: String
    /// Model path (relative to the package root or absolute); nil means the user must give one (paper).
    public let model: String?
    public let maxIterations: Int?
    public let maxEpochs: Int?
    /// Cap on training examples per task; a "full" budget becomes this many per task.
    public let maxExamplesPerTask: Int?
    /// Evaluation examples per benchmark subset; nil = the whole test set.
    public let evalLimit: Int?
    public let maxSeqLen: Int?
    public let maxSeeds: Int?
    /// Multipliers for learning rates (alpha, beta, lr): short runs need larger steps to move at all.
    public let rateScale: [String: Double]
    /// Default number of threads per cell.
    public let threads: Int?
    /// `precision: f32 | bf16` for cells whose spec sets none.
    public var precision: Precision? = nil
    /// Cap on a "full data" budget per task (nil: `maxExamplesPerTask`). Kept apart from the cap
    /// on small budgets so full data stays many times larger than a budget, as in the paper.
    public var fullExamplesPerTask: Int? = nil
    /// One factor for every method's training samples: MeTA-LoRA's iterations and the full-data
    /// size (Table 3's count per task) are both multiplied by it, so Table 7's ratio of samples
    /// (MeTA-LoRA ≈ 13% of LoRA's) holds on the profile.
    public var sampleScale: Double? = nil
    /// Size of each training task's fixed held-out draw (nil: TaskPool's default of 32).
    public var heldOutPerTask: Int? = nil
    /// Benchmarks the profile adds to every spec's (the study profile's above-chance probes),
    /// each with its own subsets and limit.
    public var benchmarks: [BenchmarkSpec] = []
    /// The cluster node plan's cost is also given for (`node:` block), and Slurm defaults (`slurm:`).
    public var node: NodeDescription? = nil
    public var slurm = SlurmResources()

    public static let scalableRates = ["alpha", "beta", "lr"]

    public static func loadAll(_ url: URL) throws -> [String: Profile] {
        try parseAll(YAMLField.document(at: url))
    }

    public static func parseAll(text: String, file: String) throws -> [String: Profile] {
        try parseAll(YAMLField.document(text: text, file: file))
    }

    static func parseAll(_ doc: YAMLField) throws -> [String: Profile] {
        let top = try doc.mapping(required: ["profiles"])
        var out: [String: Profile] = [:]
        for e in try top["profiles"]!.entries() {
            let m = try e.value.mapping(required: ["description", "model"], optional: [
                "max_iterations", "max_epochs", "max_examples_per_task", "eval_limit", "max_seq_len", "max_seeds", "rate_scale", "threads",
                "precision", "node", "slurm", "full_examples_per_task", "held_out_per_task", "benchmarks", "sample_scale"])
            func optInt(_ k: String) throws -> Int? {
                guard let f = m[k], !f.isNull else { return nil }
                let v = try f.int(); if v < 1 { throw f.error("must be ≥ 1") }; return v
            }
            var scale: [String: Double] = [:]
            if let s = m["rate_scale"] {
                for r in try s.entries() {
                    guard scalableRates.contains(r.key) else { throw r.value.error("unknown rate '\(r.key)'; valid rates: \(scalableRates.joined(separator: ", "))") }
                    let v = try r.value.double(); if v <= 0 { throw r.value.error("must be > 0") }
                    scale[r.key] = v
                }
            }
            let model = m["model"]!.isNull ? nil : try m["model"]!.string()
            var profile = Profile(name: e.key, description: try m["description"]!.string(), model: model,
                                 maxIterations: try optInt("max_iterations"), maxEpochs: try optInt("max_epochs"),
                                 maxExamplesPerTask: try optInt("max_examples_per_task"), evalLimit: try optInt("eval_limit"),
                                 maxSeqLen: try optInt("max_seq_len"), maxSeeds: try optInt("max_seeds"), rateScale: scale,
                                 threads: try optInt("threads"))
            profile.precision = try m["precision"].map(parsePrecision)
            profile.fullExamplesPerTask = try optInt("full_examples_per_task")
            profile.heldOutPerTask = try optInt("held_out_per_task")
            if let f = m["sample_scale"] {
                let v = try f.double()
                guard v > 0, v <= 1 else { throw f.error("sample_scale must be in (0, 1]") }
                profile.sampleScale = v
            }
            if let list = m["benchmarks"] {
                let items = try list.sequence()
                profile.benchmarks = try items.map(ExperimentSpec.parseBenchmark)
                try ExperimentSpec.requireDistinct(profile.benchmarks.map(\.key), in: list, what: "benchmark")
            }
            if let n = m["node"] { profile.node = try NodeDescription.parse(n) }
            if let s = m["slurm"] { profile.slurm = try SlurmResources.parse(s) }
            out[e.key] = profile
        }
        return out
    }

    public static func named(_ name: String, in url: URL) throws -> Profile {
        let all = try loadAll(url)
        guard let p = all[name] else {
            throw SpecError(file: url.path, line: 0, field: "profiles", message: "unknown profile '\(name)'; valid profiles: \(all.keys.sorted().joined(separator: ", "))")
        }
        return p
    }
}
