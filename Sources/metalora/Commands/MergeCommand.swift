import ArgumentParser
import Foundation
import Engine
import Models
import Adapters

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge",
        abstract: "Fold a LoRA adapter into the base weights (W + s·B·A, s = alpha/r or alpha/√r under rsLoRA) and write a model file.")

    @Option(help: "The base model: a GGUF file or a Hugging Face folder (config.json + *.safetensors).") var model: String
    @Option(help: "A LoRA adapter folder (PEFT's adapter_config.json + adapter_model.safetensors, as PEFT or `metalora train` writes it).") var adapter: String
    @Option(help: "The merged model: FILE.gguf from a GGUF model, FILE.safetensors from a Hugging Face folder (config.json and tokenizer files are copied beside it). Never overwrites.") var out: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let m = try LanguageModel(path: model)
        let adapterURL = URL(fileURLWithPath: adapter)
        let kind = try AdapterFiles.kind(adapterURL)
        guard kind == "lora" else {
            // HydraLoRA and LoRA-MoE pick (or weight) their B heads per input token through a
            // router, so no single weight matrix equals the adapted layer.
            throw AdapterError.unsupportedOption(file: adapterURL.appendingPathComponent("adapter_config.json").path, option: "kind",
                value: "\(kind): it routes each input to its own heads, so no single weight matrix equals it; `metalora export` writes it as a documented folder instead")
        }
        let parameters = try PEFTFormat.load(adapterURL, model: m.config)
        parameters.merge(into: m.weights)
        let sites = Set(parameters.sites)
        let scales = Set(parameters.sites.map { parameters.scale($0) }).sorted()
        let provenance = "merged adapter \(adapterURL.path) (\(sites.count) sites, scale \(scales.map { String(format: "%g", $0) }.joined(separator: "/"))) into \(m.url.path)"
        let files = try ModelFileWriter.write(m, changed: { sites.contains(AdapterSite(layer: $0, projection: $1)) },
                                              provenance: provenance, to: URL(fileURLWithPath: out))
        let hash = try SHA256.hex(ofFile: files[0])
        if json {
            try printJSON(["out": files[0].path, "files": files.map(\.path), "sites": sites.count,
                           "scales": scales.map(Double.init), "sha256": hash] as [String: Any])
        } else {
            print("merged \(sites.count) adapted projections (scale \(scales.map { String(format: "%g", $0) }.joined(separator: ", "))) into \(files[0].path)")
            for f in files.dropFirst() { print("  copied \(f.lastPathComponent)") }
            print("  sha256 \(hash)")
        }
    }
}
