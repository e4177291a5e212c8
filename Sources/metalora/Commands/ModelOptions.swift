import ArgumentParser
import Foundation
import Engine
import Models
import Adapters

/// Options shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A GGUF file or a Hugging Face folder (config.json + *.safetensors).")
    var model: String = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(name: .long, help: "An adapter folder (adapter_config.json + adapter_model.safetensors): a PEFT LoRA, or a HydraLoRA, R-LoRA or LoRA-MoE adapter written by `metalora train` or `metalora export`.")
    var adapter: String?

    @Option(name: .long, parsing: .unconditional, help: "Threads for OpenBLAS and the engine's loops (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp(Precision.help))
    var precision: Precision = .f32

    @Option(name: .long, help: ArgumentHelp(WeightResidency.help))
    var weights: WeightResidency = .auto

    func validate() throws { try requirePositiveThreads(threads) }

    /// Loads the model (and adapter), setting the thread budget first; refuses a precision this
    /// CPU cannot run before reading the checkpoint.
    func load(maxSequenceLength: Int? = nil) throws -> LanguageModel {
        try precision.requireAvailable()
        Parallel.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let m = try LanguageModel(path: model, maxSequenceLength: maxSequenceLength, weights: weights)
        try m.decoder.setPrecision(precision)
        if let adapter {
            m.decoder.adapter = try AdapterFiles.load(URL(fileURLWithPath: adapter), model: m.config)
        }
        return m
    }
}

/// `--threads` must name at least one thread (a negative count is a typo, not "all cores").
func requirePositiveThreads(_ threads: Int?) throws {
    if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1 (got \(t))") }
}

extension WeightResidency: ExpressibleByArgument {}

extension Precision: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
    /// The `--precision` help shared by every command that runs the model.
    static let help = "Arithmetic of the model's matrix products: f32 (default, exact) | bf16 (frozen weights, product inputs and attention's operands rounded to bf16, float32 accumulation and softmax; needs avx512_bf16 or AMX)."
}

/// Prints a JSON object with sorted keys on one line.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// Writes a line to standard error (progress, notes) so stdout stays machine-readable.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
