import Foundation
import Engine

/// Reads frozen weights from a GGUF file or a Hugging Face folder into `LlamaWeights`, checking
/// every tensor's shape against the config so a mismatch is an error naming file and tensor.
enum WeightLoader {
    // MARK: GGUF

    static func load(gguf: GGUFFile, config c: LlamaConfig) throws -> LlamaWeights {
        let file = gguf.url.path
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let info = gguf.tensors[name] else { throw CheckpointError.missingTensor(file: file, tensor: name) }
            guard info.shape == shape else {
                throw CheckpointError.shapeMismatch(file: file, tensor: name, reason: "file has \(info.shape), config implies \(shape)")
            }
            let t = Tensor(shape: shape)
            try gguf.dequantize(name, into: t.data)
            return t
        }
        let embedding = try tensor("token_embd.weight", [c.vocabularySize, c.hiddenSize])
        var layers: [LlamaLayerWeights] = []
        let names: [Projection: String] = [.q: "attn_q", .k: "attn_k", .v: "attn_v", .o: "attn_output",
                                           .gate: "ffn_gate", .up: "ffn_up", .down: "ffn_down"]
        for l in 0..<c.layerCount {
            var projections: [Projection: Tensor] = [:]
            for p in Projection.allCases {
                let (out, inp) = p.shape(c)
                projections[p] = try tensor("blk.\(l).\(names[p]!).weight", [out, inp])
            }
            // llama.cpp's converter permuted q/k rows so RoPE rotates adjacent pairs; undo it so
            // every model (and every PEFT adapter) uses the HF rotate-half layout.
            unpermuteRows(projections[.q]!, heads: c.headCount)
            unpermuteRows(projections[.k]!, heads: c.keyValueHeadCount)
            layers.append(LlamaLayerWeights(
                attentionNorm: try tensor("blk.\(l).attn_norm.weight", [c.hiddenSize]),
                feedForwardNorm: try tensor("blk.\(l).ffn_norm.weight", [c.hiddenSize]),
                projections: projections))
        }
        let finalNorm = try tensor("output_norm.weight", [c.hiddenSize])
        let output = c.tiedEmbeddings ? embedding : try tensor("output.weight", [c.vocabularySize, c.hiddenSize])
        return LlamaWeights(embedding: embedding, layers: layers, finalNorm: finalNorm, output: output)
    }

    /// Inverse of llama.cpp's `LlamaModel.permute`: within each head, GGUF row `2i + s` holds
    /// HF row `s·(HS/2) + i` (s ∈ {0, 1}).
    static func unpermuteRows(_ w: Tensor, heads: Int) {
        let rows = w.shape[0], cols = w.shape[1]
        let headRows = rows / heads, half = headRows / 2
        let copy = w.clone()
        for h in 0..<heads {
            for i in 0..<half {
                for s in 0..<2 {
                    let src = copy.data + (h * headRows + 2 * i + s) * cols
                    let dst = w.data + (h * headRows + s * half + i) * cols
                    dst.update(from: src, count: cols)
                }
            }
        }
    }

    // MARK: Hugging Face folder

    /// `model.safetensors`, or the shards listed by `model.safetensors.index.json`.
    static func shardFiles(folder: URL) throws -> [SafeTensorsFile] {
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: index.path) {
            guard let json = try? JSONSerialization.jsonObject(with: Data(contentsOf: index)) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw CheckpointError.corrupt(file: index.path, reason: "no 'weight_map' object")
            }
            return try Set(map.values).sorted().map { try SafeTensorsFile(url: folder.appendingPathComponent($0)) }
        }
        let single = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: single.path) else {
            throw CheckpointError.unreadable(file: folder.path, reason: "no model.safetensors or model.safetensors.index.json")
        }
        return [try SafeTensorsFile(url: single)]
    }

    static func load(huggingFace folder: URL, config c: LlamaConfig) throws -> LlamaWeights {
        let shards = try shardFiles(folder: folder)
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let shard = shards.first(where: { $0.contains(name) }) else {
                throw CheckpointError.missingTensor(file: folder.path, tensor: name)
            }
            let actual = try shard.shape(name)
            guard actual == shape else {
                throw CheckpointError.shapeMismatch(file: shard.url.path, tensor: name, reason: "file has \(actual), config implies \(shape)")
            }
            return try shard.tensor(name)
        }
        let embedding = try tensor("model.embed_tokens.weight", [c.vocabularySize, c.hiddenSize])
        var layers: [LlamaLayerWeights] = []
        for l in 0..<c.layerCount {
            let prefix = "model.layers.\(l)."
            var projections: [Projection: Tensor] = [:]
            for p in Projection.allCases {
                let (out, inp) = p.shape(c)
                projections[p] = try tensor(prefix + p.modulePath + ".weight", [out, inp])
            }
            layers.append(LlamaLayerWeights(
                attentionNorm: try tensor(prefix + "input_layernorm.weight", [c.hiddenSize]),
                feedForwardNorm: try tensor(prefix + "post_attention_layernorm.weight", [c.hiddenSize]),
                projections: projections))
        }
        let finalNorm = try tensor("model.norm.weight", [c.hiddenSize])
        let hasHead = shards.contains { $0.contains("lm_head.weight") }
        let output = (c.tiedEmbeddings || !hasHead) ? embedding : try tensor("lm_head.weight", [c.vocabularySize, c.hiddenSize])
        return LlamaWeights(embedding: embedding, layers: layers, finalNorm: finalNorm, output: output)
    }
}
