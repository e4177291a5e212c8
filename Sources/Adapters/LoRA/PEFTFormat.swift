import Foundation
import Engine
import Models

/// PEFT's on-disk LoRA layout: `adapter_model.safetensors` with tensors named
/// `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight` (A `[r, in]`, B `[out, r]`)
/// and `adapter_config.json` (`peft_type` LORA, `r`, `lora_alpha`, `target_modules`, …).
public enum PEFTFormat {
    static let prefix = "base_model.model."

    /// Writes the adapter folder atomically (files are written whole, then moved into place).
    public static func save(_ parameters: LoRAParameters, to folder: URL, baseModel: String = "") throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = [:]
        for (name, value, _) in parameters.namedParameters { tensors[prefix + name] = value }
        try SafeTensorsFile.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("adapter_model.safetensors"))
        let c = parameters.config
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": c.rank, "lora_alpha": Double(c.alpha),
            "lora_dropout": Double(c.dropout), "target_modules": c.targets.map(\.rawValue).sorted(),
            "bias": "none", "fan_in_fan_out": false, "use_rslora": false, "use_dora": false,
            "init_lora_weights": true, "inference_mode": true, "modules_to_save": NSNull(),
            "layers_to_transform": NSNull(), "rank_pattern": [String: Int](), "alpha_pattern": [String: Double](),
            "base_model_name_or_path": baseModel, "library": "metalora",
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: folder.appendingPathComponent("adapter_config.json"), options: .atomic)
    }

    /// Reads `adapter_config.json`, refusing options whose semantics we do not implement.
    public static func readConfig(_ url: URL) throws -> LoRAConfig {
        let file = url.path
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdapterError.invalid(file: file, reason: "not a readable JSON object")
        }
        if let type = json["peft_type"] as? String, type != "LORA" {
            throw AdapterError.unsupportedOption(file: file, option: "peft_type", value: type)
        }
        guard let rank = json["r"] as? Int, rank > 0 else { throw AdapterError.invalid(file: file, reason: "missing or invalid 'r'") }
        let alpha = (json["lora_alpha"] as? Double).map(Float.init) ?? Float(rank)
        // Options that change the computation: refuse unless at their neutral value.
        let refusals: [(String, (Any) -> Bool)] = [
            ("use_dora", { ($0 as? Bool) == true }), ("use_rslora", { ($0 as? Bool) == true }),
            ("fan_in_fan_out", { ($0 as? Bool) == true }), ("lora_bias", { ($0 as? Bool) == true }),
            ("bias", { ($0 as? String).map { $0 != "none" } ?? false }),
            ("rank_pattern", { ($0 as? [String: Any]).map { !$0.isEmpty } ?? false }),
            ("alpha_pattern", { ($0 as? [String: Any]).map { !$0.isEmpty } ?? false }),
            ("layers_to_transform", { !($0 is NSNull) }), ("modules_to_save", { !($0 is NSNull) }),
            ("layer_replication", { !($0 is NSNull) }), ("trainable_token_indices", { !($0 is NSNull) }),
        ]
        for (key, isActive) in refusals {
            if let v = json[key], isActive(v) { throw AdapterError.unsupportedOption(file: file, option: key, value: "\(v)") }
        }
        let modules: [String]
        if let list = json["target_modules"] as? [String] { modules = list }
        else if let single = json["target_modules"] as? String { modules = [single] }
        else { throw AdapterError.invalid(file: file, reason: "missing 'target_modules'") }
        var targets: [Projection] = []
        for m in modules {
            guard let p = Projection(name: m) else { throw AdapterError.unsupportedOption(file: file, option: "target_modules", value: m) }
            targets.append(p)
        }
        let dropout = (json["lora_dropout"] as? Double).map(Float.init) ?? 0
        return LoRAConfig(rank: rank, alpha: alpha, targets: targets, dropout: dropout)
    }

    /// Loads an adapter folder (or its `adapter_model.safetensors`) for `model`, checking every
    /// tensor's presence and shape.
    public static func load(_ path: URL, model: LlamaConfig) throws -> LoRAParameters {
        var folder = path
        if path.pathExtension == "safetensors" { folder = path.deletingLastPathComponent() }
        let config = try readConfig(folder.appendingPathComponent("adapter_config.json"))
        let weightsURL = folder.appendingPathComponent("adapter_model.safetensors")
        let file = try SafeTensorsFile(url: weightsURL)
        let parameters = LoRAParameters(config: config, model: model)
        var expected = Set<String>()
        for (name, value, _) in parameters.namedParameters {
            let candidates = [prefix + name, name, prefix + name.replacingOccurrences(of: ".weight", with: ".default.weight")]
            guard let key = candidates.first(where: file.contains) else {
                throw AdapterError.missingTensor(file: weightsURL.path, tensor: prefix + name)
            }
            expected.insert(key)
            let shape = try file.shape(key)
            guard shape == value.shape else {
                throw AdapterError.shapeMismatch(file: weightsURL.path, tensor: key, expected: value.shape, got: shape)
            }
            let values = try file.floats(key)
            values.withUnsafeBufferPointer { value.data.update(from: $0.baseAddress!, count: values.count) }
        }
        let extra = Set(file.names).subtracting(expected)
        if let stray = extra.sorted().first {
            throw AdapterError.invalid(file: weightsURL.path,
                reason: "tensor '\(stray)' does not belong to a \(config.targets.map(\.rawValue)) adapter of a \(model.layerCount)-layer model (\(extra.count) such tensors)")
        }
        return parameters
    }
}
