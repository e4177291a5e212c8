import Foundation
import Engine

/// Reads frozen weights from a GGUF file or a Hugging Face folder into `LlamaWeights`, checking
/// every tensor's shape against the config so a mismatch is an error naming file and tensor.
enum WeightLoader {
    /// Where a projection's weight lives in each format.
    static let ggufNames: [Projection: String] = [.q: "attn_q", .k: "attn_k", .v: "attn_v", .o: "attn_output",
                                                  .gate: "ffn_gate", .up: "ffn_up", .down: "ffn_down"]

    /// Fills every layer by asking `read(name, shape, destination)` for each tensor.
    static func assemble(config c: LlamaConfig,
                         embeddingName: String, finalNormName: String, outputName: String?,
                         layerTensorName: (Int, String) -> String,
                         projectionName: (Int, Projection) -> String,
                         unpermuteQK: Bool,
                         read: (String, [Int], UnsafeMutablePointer<Float>) throws -> Void) throws -> LlamaWeights {
        let embedding = Tensor(shape: [c.vocabularySize, c.hiddenSize])
        try read(embeddingName, embedding.shape, embedding.data)
        var layers: [LlamaLayerWeights] = []
        for l in 0..<c.layerCount {
            let layer = LlamaLayerWeights(config: c)
            try read(layerTensorName(l, "attention_norm"), [c.hiddenSize], layer.attentionNorm.data)
            try read(layerTensorName(l, "ffn_norm"), [c.hiddenSize], layer.feedForwardNorm.data)
            for p in Projection.allCases {
                let (out, inp) = p.shape(c)
                try read(projectionName(l, p), [out, inp], layer.weight(p))
            }
            if unpermuteQK {
                // llama.cpp's converter permuted q/k rows so RoPE rotates adjacent pairs; undo it so
                // every model (and every PEFT adapter) uses the HF rotate-half layout.
                unpermuteRows(layer.weight(.q), rows: c.queryWidth, cols: c.hiddenSize, heads: c.headCount)
                unpermuteRows(layer.weight(.k), rows: c.keyValueWidth, cols: c.hiddenSize, heads: c.keyValueHeadCount)
            }
            layers.append(layer)
        }
        let finalNorm = Tensor(shape: [c.hiddenSize])
        try read(finalNormName, [c.hiddenSize], finalNorm.data)
        var output = embedding
        if let outputName, !c.tiedEmbeddings {
            output = Tensor(shape: [c.vocabularySize, c.hiddenSize])
            try read(outputName, output.shape, output.data)
        }
        return LlamaWeights(config: c, embedding: embedding, layers: layers, finalNorm: finalNorm, output: output)
    }

    static func load(gguf: GGUFFile, config c: LlamaConfig) throws -> LlamaWeights {
        let file = gguf.url.path
        return try assemble(
            config: c, embeddingName: "token_embd.weight", finalNormName: "output_norm.weight", outputName: "output.weight",
            layerTensorName: { l, kind in kind == "attention_norm" ? "blk.\(l).attn_norm.weight" : "blk.\(l).ffn_norm.weight" },
            projectionName: { l, p in "blk.\(l).\(ggufNames[p]!).weight" },
            unpermuteQK: true) { name, shape, destination in
                guard let info = gguf.tensors[name] else { throw CheckpointError.missingTensor(file: file, tensor: name) }
                guard info.shape == shape else {
                    throw CheckpointError.shapeMismatch(file: file, tensor: name, reason: "file has \(info.shape), config implies \(shape)")
                }
                try gguf.dequantize(name, into: destination)
            }
    }

    /// Inverse of llama.cpp's `LlamaModel.permute`: within each head, GGUF row `2i + s` holds
    /// HF row `s·(HS/2) + i` (s ∈ {0, 1}).
    static func unpermuteRows(_ w: UnsafeMutablePointer<Float>, rows: Int, cols: Int, heads: Int) {
        let headRows = rows / heads, half = headRows / 2
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: headRows * cols)
        defer { copy.deallocate() }
        for h in 0..<heads {
            let head = w + h * headRows * cols
            copy.update(from: head, count: headRows * cols)
            for i in 0..<half {
                for s in 0..<2 {
                    (head + (s * half + i) * cols).update(from: copy + (2 * i + s) * cols, count: cols)
                }
            }
        }
    }

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

    static func load(huggingFace folder: URL, config c: LlamaConfig, shards given: [SafeTensorsFile]? = nil) throws -> LlamaWeights {
        let shards = try given ?? shardFiles(folder: folder)
        let hasHead = shards.contains { $0.contains("lm_head.weight") }
        return try assemble(
            config: c, embeddingName: "model.embed_tokens.weight", finalNormName: "model.norm.weight",
            outputName: hasHead ? "lm_head.weight" : nil,
            layerTensorName: { l, kind in
                "model.layers.\(l)." + (kind == "attention_norm" ? "input_layernorm.weight" : "post_attention_layernorm.weight")
            },
            projectionName: { l, p in "model.layers.\(l).\(p.modulePath).weight" },
            unpermuteQK: false) { name, shape, destination in
                guard let shard = shards.first(where: { $0.contains(name) }) else {
                    throw CheckpointError.missingTensor(file: folder.path, tensor: name)
                }
                let actual = try shard.shape(name)
                guard actual == shape else {
                    throw CheckpointError.shapeMismatch(file: shard.url.path, tensor: name, reason: "file has \(actual), config implies \(shape)")
                }
                let values = try shard.floats(name)
                values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: values.count) }
            }
    }
}
