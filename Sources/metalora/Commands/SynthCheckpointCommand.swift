import ArgumentParser
import Foundation
import Engine
import Models

/// `metalora synth-checkpoint`: a GGUF with LLaMA-2's real shapes and seeded random weights, for
/// measuring memory and speed at paper scale (`bench --only llama7b`) without the real weights.
struct SynthCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth-checkpoint",
        abstract: "Write a GGUF with LLaMA-2 7B/13B shapes, seeded random weights and SmolLM2's tokenizer.")

    @Option(help: "Model shape: \(SyntheticCheckpoint.shapes.keys.sorted().joined(separator: " | ")).") var shape: String
    @Option(help: "Encoding of every matrix: q4_k | q8_0 (norms stay F32).") var quant: String = "q4_k"
    @Option(help: "Output GGUF file (7B q4_k is ~4 GB).") var out: String
    @Option(parsing: .unconditional, help: "Seed of the random weights (the same seed gives the same file).") var seed: UInt64 = 0
    @Option(help: "GGUF file whose tokenizer.* metadata is copied (its vocabulary sets the embedding rows).")
    var tokenizer: String = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
    @Option(parsing: .unconditional, help: "Threads (default: all cores).") var threads: Int?

    func validate() throws {
        guard SyntheticCheckpoint.shapes[shape] != nil else {
            throw ValidationError("--shape must be one of \(SyntheticCheckpoint.shapes.keys.sorted().joined(separator: ", ")) (got \(shape))")
        }
        guard Self.quantType(quant) != nil else { throw ValidationError("--quant must be q4_k or q8_0 (got \(quant))") }
        try requirePositiveThreads(threads)
    }

    static func quantType(_ name: String) -> GGMLType? { ["q4_k": .q4_K, "q8_0": .q8_0][name.lowercased()] }

    func run() throws {
        Parallel.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let shape = SyntheticCheckpoint.shapes[shape]!, type = Self.quantType(quant)!
        let source = try GGUFFile(path: tokenizer)
        let url = URL(fileURLWithPath: out)
        let started = Date()
        var lastNote = Date.distantPast
        try SyntheticCheckpoint.write(shape: shape, quant: type, tokenizerFrom: source, seed: seed, to: url) { done, total in
            if Date().timeIntervalSince(lastNote) > 10 || done == total {
                lastNote = Date()
                note(String(format: "synth-checkpoint: %d/%d tensors, %.0f s", done, total, Date().timeIntervalSince(started)))
            }
        }
        let written = try GGUFFile(url: url)
        let config = try LlamaConfig(gguf: written)
        try printJSON(["path": url.path, "shape": shape.name, "quant": type.name, "seed": seed,
                       "bytes": (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0,
                       "parameters": config.matmulParameterCount + config.hiddenSize * (2 * config.layerCount + 1),
                       "vocab": config.vocabularySize, "tokenizer_from": source.url.path])
    }
}
