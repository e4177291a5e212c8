import Foundation
import Engine
import Models

/// Saving and loading HydraLoRA / R-LoRA adapters. Tensors: the trainable `namedParameters`
/// (`….lora_A.weight`, `….lora_B.{i}.weight`, `….lora_router.weight`) and, for R-LoRA, the frozen
/// initial copy whose output is subtracted (`….lora_A_init.weight`, `….lora_B_init.{i}.weight`,
/// `….lora_router_init.weight`). Config: `kind`, `r`, `lora_alpha`, `scale`, `lora_nums` (heads),
/// `head_dropout`, `target_modules`, `num_layers`.
public enum MultiHeadFormat {
    static func initialNames(_ p: HydraLoRAParameters) -> [(name: String, value: Tensor)] {
        p.namedParameters.map { (name: $0.name.replacingOccurrences(of: ".lora_A.", with: ".lora_A_init.")
                                    .replacingOccurrences(of: ".lora_B.", with: ".lora_B_init.")
                                    .replacingOccurrences(of: ".lora_router.", with: ".lora_router_init."), value: $0.value) }
    }

    public static func save(_ adapter: HydraLoRAAdapter, to folder: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, value, _) in adapter.parameters.namedParameters { tensors[name] = value }
        if let q = adapter.initial { for (name, value) in initialNames(q) { tensors[name] = value } }
        let c = adapter.config
        let config: [String: Any] = [
            "kind": adapter.kind, "r": c.rank, "lora_alpha": Double(c.alpha), "scale": Double(c.scale),
            "lora_nums": c.heads, "head_dropout": Double(c.headDropout),
            "target_modules": c.targets.map(\.rawValue), "num_layers": Set(adapter.parameters.sites.map(\.layer)).count,
            "library": "metalora",
        ]
        try AdapterFolder.write(tensors: tensors, config: config, to: folder)
    }

    /// Loads a HydraLoRA or R-LoRA folder for `model`; refuses other kinds, a different layer
    /// count, and missing, extra or mis-shaped tensors.
    public static func load(_ path: URL, model: LlamaConfig) throws -> HydraLoRAAdapter {
        let folder = AdapterFolder.folder(path)
        let json = try AdapterFolder.readConfig(folder, kinds: ["hydralora", "rlora"])
        let rank = try AdapterFolder.int(json, "r", folder), heads = try AdapterFolder.int(json, "lora_nums", folder)
        let alpha = Float((json["lora_alpha"] as? Double) ?? Double(rank))
        let dropout = Float((json["head_dropout"] as? Double) ?? 0)
        if let layers = json["num_layers"] as? Int, layers != model.layerCount {
            throw AdapterError.invalid(file: folder.appendingPathComponent(AdapterFolder.configFile).path,
                                       reason: "adapter has \(layers) layers but the model has \(model.layerCount)")
        }
        let config = HydraLoRAConfig(rank: rank, alpha: alpha, heads: heads, targets: try AdapterFolder.targets(json, folder),
                                     headDropout: dropout)
        let p = HydraLoRAParameters(config: config, model: model)
        var expected = p.namedParameters.map { (name: $0.name, value: $0.value) }
        var initial: HydraLoRAParameters?
        if json["kind"] as? String == "rlora" {
            let q = HydraLoRAParameters(config: config, model: model)
            expected += initialNames(q)
            initial = q
        }
        try AdapterFolder.fill(expected, from: folder, modelLayers: model.layerCount)
        return HydraLoRAAdapter(parameters: p, initial: initial)
    }
}
