import Foundation
import Engine
import Models

/// PEFT's on-disk LoRA layout: `adapter_model.safetensors` with tensors named
/// `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight` (A `[r, in]`, B `[out, r]`)
/// and `adapter_config.json` (`peft_type` LORA, `r`, `lora_alpha`, `target_modules`, …).
public enum PEFTFormat {
    static let prefix = "base_model.model."

    /// Our own record of a written adapter, beside PEFT's files (PEFT refuses unknown keys in
    /// adapter_config.json with a warning, so nothing of ours goes there).
    public static let metadataFile = "metalora_adapter.json"

    /// Writes the adapter folder atomically (files are written whole, then moved into place).
    /// `baseModel` is the model's id or path, PEFT's `base_model_name_or_path`.
    public static func save(_ parameters: LoRAParameters, to folder: URL, baseModel: String = "") throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = [:]
        for (name, value, _) in parameters.namedParameters { tensors[prefix + name] = value }
        try SafeTensorsFile.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("adapter_model.safetensors"))
        let c = parameters.config
        let uniform = parameters.shapes.values.allSatisfy { $0 == LoRASiteShape(rank: c.rank, scale: c.scale) }
        let everyLayer = Set(parameters.sites) == Set((0..<parameters.modelLayerCount).flatMap { l in c.targets.map { AdapterSite(layer: l, projection: $0) } })
        // A uniform adapter over every layer is named by projection; anything else by module path,
        // with per-module ranks and alphas as PEFT's patterns (full names match only themselves).
        let targets: [String] = uniform && everyLayer ? c.targets.map(\.rawValue).sorted() : parameters.sites.map(\.moduleName)
        var rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:]
        if !uniform {
            for s in parameters.sites {
                let shape = parameters.shapes[s]!
                if shape.rank != c.rank { rankPattern[s.moduleName] = shape.rank }
                let alpha = Double(shape.scale) * Double(shape.rank)
                if Float(alpha) != c.alpha { alphaPattern[s.moduleName] = alpha }
            }
        }
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": c.rank, "lora_alpha": Double(c.alpha),
            "lora_dropout": Double(c.dropout), "target_modules": targets,
            "bias": "none", "fan_in_fan_out": false, "use_rslora": false, "use_dora": false,
            "init_lora_weights": true, "inference_mode": true, "modules_to_save": NSNull(),
            "layers_to_transform": NSNull(), "layers_pattern": NSNull(), "rank_pattern": rankPattern, "alpha_pattern": alphaPattern,
            "base_model_name_or_path": baseModel, "revision": NSNull(),
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: folder.appendingPathComponent("adapter_config.json"), options: .atomic)
        let ours: [String: Any] = ["written_by": "metalora", "kind": "lora", "base_model": baseModel]
        try JSONSerialization.data(withJSONObject: ours, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            .write(to: folder.appendingPathComponent(metadataFile), options: .atomic)
    }

    /// Reads `adapter_config.json` into the nominal config (r, lora_alpha, the projections
    /// adapted, dropout) and each adapted site's rank and scale, by PEFT's rules (`PEFTTargets`).
    /// Options whose computation we do not implement are refused by name.
    public static func readConfig(_ url: URL, model: LlamaConfig) throws -> (config: LoRAConfig, shapes: [AdapterSite: LoRASiteShape]) {
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
        func isSet(_ v: Any) -> Bool {
            if v is NSNull { return false }
            if let b = v as? Bool { return b }
            if let a = v as? [Any] { return !a.isEmpty }
            if let d = v as? [String: Any] { return !d.isEmpty }
            if let s = v as? String { return !s.isEmpty }
            return true
        }
        // Options that change the computation, refused unless at their neutral value. PEFT would
        // apply them; scoring without them would silently differ. `modules_to_save` replaces
        // whole base modules (an LM head, embeddings) with trained copies.
        let refused = ["use_dora", "fan_in_fan_out", "lora_bias", "modules_to_save", "layer_replication",
                       "trainable_token_indices", "target_parameters", "alora_invocation_tokens", "use_qalora",
                       "use_bdlora", "megatron_config", "arrow_config", "velora_config", "kasa_config", "monteclora_config"]
        for key in refused {
            if let v = json[key], isSet(v) { throw AdapterError.unsupportedOption(file: file, option: key, value: "\(v)") }
        }
        if let bias = json["bias"] as? String, bias != "none" { throw AdapterError.unsupportedOption(file: file, option: "bias", value: bias) }
        func modules(_ key: String) throws -> PEFTTargets.Modules? {
            switch json[key] {
            case nil, is NSNull: return nil
            case let s as String: return s.lowercased() == "all-linear" && key == "target_modules" ? .allLinear : .regex(s)
            case let list as [String]: return .names(list)
            case let v?: throw AdapterError.invalid(file: file, reason: "'\(key)' is \(v), expected a string or a list of strings")
            }
        }
        guard let targetModules = try modules("target_modules") else { throw AdapterError.invalid(file: file, reason: "missing 'target_modules'") }
        var layers: [Int]?
        switch json["layers_to_transform"] {
        case nil, is NSNull: layers = nil
        case let i as Int: layers = [i]
        case let list as [Int]: layers = list.isEmpty ? nil : list
        case let v?: throw AdapterError.invalid(file: file, reason: "'layers_to_transform' is \(v), expected an integer or a list of integers")
        }
        var layersPattern: [String]?
        switch json["layers_pattern"] {
        case nil, is NSNull: layersPattern = nil
        case let s as String: layersPattern = s.isEmpty ? nil : [s]
        case let list as [String]: layersPattern = list.isEmpty ? nil : list
        case let v?: throw AdapterError.invalid(file: file, reason: "'layers_pattern' is \(v), expected a string or a list of strings")
        }
        // PEFT's LoraConfig refuses these combinations when it reads the file.
        if case .regex = targetModules, layers != nil || layersPattern != nil {
            throw AdapterError.invalid(file: file, reason: "layers_to_transform / layers_pattern cannot be used when target_modules is a string")
        }
        if layersPattern != nil && layers == nil {
            throw AdapterError.invalid(file: file, reason: "layers_pattern is set but layers_to_transform is not")
        }
        func pattern<V>(_ key: String, _ convert: (Any) -> V?) throws -> [(key: String, value: V)] {
            guard let v = json[key], !(v is NSNull) else { return [] }
            guard let d = v as? [String: Any] else { throw AdapterError.invalid(file: file, reason: "'\(key)' is \(v), expected an object") }
            return try d.keys.sorted().map { k in
                guard let value = convert(d[k]!) else { throw AdapterError.invalid(file: file, reason: "'\(key)' entry '\(k)' is \(d[k]!), expected a number") }
                return (key: k, value: value)
            }
        }
        let targets = PEFTTargets(
            modules: targetModules, exclude: try modules("exclude_modules"), layersToTransform: layers, layersPattern: layersPattern,
            rank: rank, alpha: alpha, useRSLoRA: (json["use_rslora"] as? Bool) ?? false,
            rankPattern: try pattern("rank_pattern") { $0 as? Int },
            alphaPattern: try pattern("alpha_pattern") { ($0 as? Double).map(Float.init) })
        let shapes = try targets.resolve(model: model, file: file)
        // Dropout acts in training only; at inference it is the identity, as in PEFT's eval mode.
        let dropout = (json["lora_dropout"] as? Double).map(Float.init) ?? 0
        let projections = Array(Set(shapes.keys.map(\.projection)))
        return (LoRAConfig(rank: rank, alpha: alpha, targets: projections, dropout: dropout), shapes)
    }

    /// Loads an adapter folder (or its `adapter_model.safetensors`) for `model`, checking every
    /// tensor's presence and shape.
    public static func load(_ path: URL, model: LlamaConfig) throws -> LoRAParameters {
        var folder = path
        if path.pathExtension == "safetensors" { folder = path.deletingLastPathComponent() }
        let (config, shapes) = try readConfig(folder.appendingPathComponent("adapter_config.json"), model: model)
        let weightsURL = folder.appendingPathComponent("adapter_model.safetensors")
        let file = try SafeTensorsFile(url: weightsURL)
        let parameters = LoRAParameters(config: config, model: model, shapes: shapes)
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
                reason: "tensor '\(stray)' does not belong to the modules adapter_config.json targets on a \(model.layerCount)-layer model (\(extra.count) such tensors)")
        }
        return parameters
    }
}
