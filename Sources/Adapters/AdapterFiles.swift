import Foundation
import Engine
import Models

/// Loads any saved adapter folder for inference, dispatching on its `adapter_config.json`
/// (PEFT LoRA, or the multi-head kinds this project writes) through a table of loaders by kind.
/// Each method's descriptor names the kind it saves; a test checks that every one has a loader.
public enum AdapterFiles {
    public typealias Loader = (_ folder: URL, _ model: LlamaConfig) throws -> any ProjectionAdapter

    /// The kinds this build writes, each with its reader.
    public static let loaders: [String: Loader] = [
        "lora": { LoRAAdapter(try PEFTFormat.load($0, model: $1)) },
        "hydralora": { try MultiHeadFormat.load($0, model: $1) },
        "rlora": { try MultiHeadFormat.load($0, model: $1) },
        // Loaded for inference on benchmarks, whose items belong to no training task.
        "loramoe": { let a = try LoRAMoEAdapter.load($0, model: $1); a.routing = .uniformMixtureOfTaskGates; return a },
    ]

    /// The folder's adapter kind: `kind` of its adapter_config.json, or "lora" for a PEFT LoRA.
    public static func kind(_ folder: URL) throws -> String {
        let configURL = folder.appendingPathComponent("adapter_config.json")
        guard let data = try? Data(contentsOf: configURL),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdapterError.invalid(file: configURL.path, reason: "missing or unreadable adapter_config.json")
        }
        return (json["kind"] as? String) ?? ((json["peft_type"] as? String) == "LORA" ? "lora" : "unknown")
    }

    public static func load(_ folder: URL, model: LlamaConfig) throws -> any ProjectionAdapter {
        let configURL = folder.appendingPathComponent("adapter_config.json")
        let kind = try kind(folder)
        guard let loader = loaders[kind] else {
            throw AdapterError.unsupportedOption(file: configURL.path, option: "kind", value: kind)
        }
        return try loader(folder, model)
    }
}
