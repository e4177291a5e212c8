import Foundation
import Engine
import Models

/// The on-disk layout shared by the multi-head adapters (HydraLoRA, R-LoRA, LoRA-MoE):
/// `adapter_model.safetensors` (PEFT-style names) + `adapter_config.json` (with a `kind` key).
/// Loading checks the kind, every tensor's presence and shape, and refuses stray tensors.
enum AdapterFolder {
    static let weightsFile = "adapter_model.safetensors"
    static let configFile = "adapter_config.json"

    static func write(tensors: [String: Tensor], config: [String: Any], to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SafeTensorsFile.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent(weightsFile))
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: folder.appendingPathComponent(configFile), options: .atomic)
    }

    /// The folder (a path to its safetensors file is accepted too).
    static func folder(_ path: URL) -> URL {
        path.pathExtension == "safetensors" ? path.deletingLastPathComponent() : path
    }

    /// The JSON config, refusing a different adapter kind.
    static func readConfig(_ folder: URL, kinds: [String]) throws -> [String: Any] {
        let url = folder.appendingPathComponent(configFile)
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdapterError.invalid(file: url.path, reason: "not a readable JSON object")
        }
        guard let kind = json["kind"] as? String else {
            throw AdapterError.invalid(file: url.path, reason: "no 'kind' (expected one of \(kinds))")
        }
        guard kinds.contains(kind) else {
            throw AdapterError.unsupportedOption(file: url.path, option: "kind", value: "\(kind) (expected one of \(kinds))")
        }
        return json
    }

    static func int(_ json: [String: Any], _ key: String, _ folder: URL) throws -> Int {
        guard let v = json[key] as? Int, v > 0 else {
            throw AdapterError.invalid(file: folder.appendingPathComponent(configFile).path, reason: "missing or invalid '\(key)'")
        }
        return v
    }

    static func targets(_ json: [String: Any], _ folder: URL) throws -> [Projection] {
        let file = folder.appendingPathComponent(configFile).path
        guard let list = json["target_modules"] as? [String] else { throw AdapterError.invalid(file: file, reason: "missing 'target_modules'") }
        return try list.map { m in
            guard let p = Projection(name: m) else { throw AdapterError.unsupportedOption(file: file, option: "target_modules", value: m) }
            return p
        }
    }

    /// Copies every expected tensor from the folder's safetensors file, checking names and shapes.
    static func fill(_ expected: [(name: String, value: Tensor)], from folder: URL, modelLayers: Int) throws {
        let url = folder.appendingPathComponent(weightsFile)
        let file = try SafeTensorsFile(url: url)
        for (name, value) in expected {
            guard file.contains(name) else { throw AdapterError.missingTensor(file: url.path, tensor: name) }
            let shape = try file.shape(name)
            guard shape == value.shape else { throw AdapterError.shapeMismatch(file: url.path, tensor: name, expected: value.shape, got: shape) }
            let values = try file.floats(name)
            values.withUnsafeBufferPointer { value.data.update(from: $0.baseAddress!, count: values.count) }
        }
        let extra = Set(file.names).subtracting(expected.map(\.name))
        if let stray = extra.sorted().first {
            throw AdapterError.invalid(file: url.path,
                reason: "tensor '\(stray)' does not belong to this adapter on a \(modelLayers)-layer model (\(extra.count) such tensors)")
        }
    }
}
