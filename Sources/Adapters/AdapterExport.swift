import Foundation
import Engine
import Models

/// `metalora export`: a multi-head adapter (HydraLoRA, R-LoRA, LoRA-MoE) as a self-describing
/// folder for use outside this project: `adapter_model.safetensors` (the tensors, bytes unchanged),
/// `adapter_config.json` (the hyper-parameters plus `forward`, `routing` and `export_format`), and
/// a README.md stating every tensor's name and shape, the forward computation and the routing
/// rule. `load` reads such a folder back into the same adapter.
public enum AdapterExport {
    public static let format = "metalora-multihead-adapter-v1"

    /// The forward rule of each kind on one frozen projection y = W x (x a token's input row).
    static func forward(_ kind: String) -> String {
        switch kind {
        case "hydralora":
            return "y = W x + scale · Σ_i p_i · B_i (A x),  p = softmax(W_router x) over the lora_nums heads"
        case "rlora":
            return "y = W x + scale · Σ_i p_i · B_i (A x) − scale · Σ_i p0_i · B0_i (A0 x),  p = softmax(W_router x), p0 = softmax(W_router0 x); "
                + "A0, B0_i, W_router0 are the frozen initial copy (lora_*_init tensors); head dropout is training-only"
        case "loramoe":
            return "y = W x + scale · Σ_i g_i · B_i (A_i x),  g = softmax(W_gate e) over the expert_num experts, e = lora_task_embedding row of the sequence's task"
        default:
            return ""
        }
    }

    /// How the head / expert weights are chosen.
    static func routing(_ kind: String) -> String {
        switch kind {
        case "hydralora", "rlora":
            return "per token: a softmax over the heads of the router logits W_router x computed from the projection's own input x"
        case "loramoe":
            return "per sequence: training task t uses g = softmax(W_gate T[t]); a sequence of an unseen task (a benchmark item) uses "
                + LoRAMoEAdapter.unseenTaskRule
        default:
            return ""
        }
    }

    /// What each tensor name pattern holds.
    static func tensorRoles(_ kind: String) -> [(String, String)] {
        switch kind {
        case "hydralora", "rlora":
            var roles = [("….lora_A.weight", "A [r, in]: the shared down-projection"),
                         ("….lora_B.{i}.weight", "B_i [out, r]: up-projection head i"),
                         ("….lora_router.weight", "W_router [lora_nums, in]: router")]
            if kind == "rlora" { roles.append(("….lora_A_init / lora_B_init.{i} / lora_router_init", "the frozen initial copy, subtracted")) }
            return roles
        case "loramoe":
            return [("….lora_A.{i}.weight", "A_i [r/expert_num, in]: expert i down-projection"),
                    ("….lora_B.{i}.weight", "B_i [out, r/expert_num]: expert i up-projection"),
                    ("….lora_gate.weight", "W_gate [expert_num, task_embedding_dim]: gate"),
                    ("….lora_task_embedding.weight", "T [task_num, task_embedding_dim]: one embedding per training task")]
        default:
            return []
        }
    }

    /// Writes the export folder; `to` must not exist yet. Returns the files written.
    @discardableResult
    public static func export(from source: URL, to out: URL) throws -> [URL] {
        let kind = try AdapterFiles.kind(source)
        guard ["hydralora", "rlora", "loramoe"].contains(kind) else {
            throw AdapterError.unsupportedOption(file: source.appendingPathComponent(AdapterFolder.configFile).path, option: "kind",
                value: "\(kind): export writes the multi-head kinds (hydralora, rlora, loramoe); a LoRA folder is already PEFT's format (or fold it in with `metalora merge`)")
        }
        if FileManager.default.fileExists(atPath: out.path) {
            throw AdapterError.invalid(file: out.path, reason: "already exists; export writes a new folder and never overwrites")
        }
        let configURL = source.appendingPathComponent(AdapterFolder.configFile)
        guard var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any] else {
            throw AdapterError.invalid(file: configURL.path, reason: "not a JSON object")
        }
        let weights = try SafeTensorsFile(url: source.appendingPathComponent(AdapterFolder.weightsFile))
        config["export_format"] = format
        config["forward"] = forward(kind)
        config["routing"] = routing(kind)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let tensorsURL = out.appendingPathComponent(AdapterFolder.weightsFile)
        try FileManager.default.copyItem(at: weights.url, to: tensorsURL)
        let configOut = out.appendingPathComponent(AdapterFolder.configFile)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            .write(to: configOut, options: .atomic)
        let readme = out.appendingPathComponent("README.md")
        try Data(self.readme(kind: kind, config: config, tensors: weights).utf8).write(to: readme, options: .atomic)
        return [tensorsURL, configOut, readme]
    }

    static func readme(kind: String, config: [String: Any], tensors: SafeTensorsFile) -> String {
        let hyper = config.keys.filter { !["forward", "routing", "export_format"].contains($0) }.sorted()
            .map { key -> String in
                let v = config[key]!
                let text = (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? "\(v)"
                return "- `\(key)`: \(text)"
            }
        var s = """
        # \(kind) adapter (\(format))

        Written by `metalora export`. Files: `adapter_model.safetensors` (float32 tensors), `adapter_config.json`
        (the hyper-parameters below plus `forward`, `routing`, `export_format`). Read back with
        `AdapterExport.load` (Sources/Adapters/AdapterExport.swift).

        ## Forward rule (each adapted projection)

        \(forward(kind))

        `scale` is in the config. Module names follow PEFT: `model.layers.{L}.self_attn.{q,k,v,o}_proj`,
        `model.layers.{L}.mlp.{gate,up,down}_proj`; W is that projection's frozen weight [out, in] in the
        Hugging Face layout (for a GGUF base model, q/k rows un-permuted as Hugging Face stores them).

        ## Routing

        \(routing(kind))

        ## Hyper-parameters

        \(hyper.joined(separator: "\n"))

        ## Tensor roles

        \(tensorRoles(kind).map { "- `\($0.0)`: \($0.1)" }.joined(separator: "\n"))

        ## Tensors (\(tensors.names.count))

        | name | dtype | shape |
        |---|---|---|

        """
        for name in tensors.names {
            let e = tensors.entries[name]!
            s += "| `\(name)` | \(e.dtype) | \(e.shape) |\n"
        }
        return s
    }

    /// Reads an export folder back (checking `export_format`) into the adapter it was made from.
    public static func load(_ folder: URL, model: LlamaConfig) throws -> any ProjectionAdapter {
        let configURL = folder.appendingPathComponent(AdapterFolder.configFile)
        guard let data = try? Data(contentsOf: configURL),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdapterError.invalid(file: configURL.path, reason: "missing or unreadable")
        }
        guard json["export_format"] as? String == format else {
            throw AdapterError.unsupportedOption(file: configURL.path, option: "export_format", value: "\(json["export_format"] ?? "none") (expected \(format))")
        }
        return try AdapterFiles.load(folder, model: model)
    }
}
