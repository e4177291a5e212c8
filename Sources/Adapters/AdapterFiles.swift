import Foundation
import Engine
import Models

/// Loads any saved adapter folder for inference, dispatching on its `adapter_config.json`
/// (PEFT LoRA, or the multi-head kinds this project writes).
public enum AdapterFiles {
    public static func load(_ folder: URL, model: LlamaConfig) throws -> any ProjectionAdapter {
        let configURL = folder.appendingPathComponent("adapter_config.json")
        guard let data = try? Data(contentsOf: configURL),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdapterError.invalid(file: configURL.path, reason: "missing or unreadable adapter_config.json")
        }
        let kind = (json["kind"] as? String) ?? ((json["peft_type"] as? String) == "LORA" ? "lora" : "unknown")
        switch kind {
        case "lora": return LoRAAdapter(try PEFTFormat.load(folder, model: model))
        case "hydralora", "rlora": return try MultiHeadFormat.load(folder, model: model)
        case "loramoe": return try LoRAMoEAdapter.load(folder, model: model)
        default:
            throw AdapterError.unsupportedOption(file: configURL.path, option: "kind", value: kind)
        }
    }
}
