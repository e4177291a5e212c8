import Foundation
import Engine

/// Resident loading (`WeightResidency.resident`): the projections, embedding and LM head stay as
/// the checkpoint stores them, mapped from the file; only the norms are read into float32. Shapes
/// are checked against the config exactly as the float32 loader checks them.
extension WeightLoader {
    /// Builds resident weights by asking `matrix(name, shape, rowOrder)` for each matrix and
    /// `vector(name, count)` for each norm.
    static func assembleResident(config c: LlamaConfig,
                                 embeddingName: String, finalNormName: String, outputName: String?,
                                 layerTensorName: (Int, String) -> String,
                                 projectionName: (Int, Projection) -> String,
                                 unpermuteQK: Bool,
                                 matrix: (String, [Int], [Int]?) throws -> EncodedMatrix,
                                 vector: (String, Int) throws -> Tensor) throws -> LlamaWeights {
        let embedding = try matrix(embeddingName, [c.vocabularySize, c.hiddenSize], nil)
        // The q/k un-permutation is a row order, shared by every layer.
        let qOrder = unpermuteQK ? EncodedMatrix.unpermutedRowOrder(rows: c.queryWidth, heads: c.headCount) : nil
        let kOrder = unpermuteQK ? EncodedMatrix.unpermutedRowOrder(rows: c.keyValueWidth, heads: c.keyValueHeadCount) : nil
        var layers: [LlamaLayerWeights] = []
        for l in 0..<c.layerCount {
            let attentionNorm = try vector(layerTensorName(l, "attention_norm"), c.hiddenSize)
            let feedForwardNorm = try vector(layerTensorName(l, "ffn_norm"), c.hiddenSize)
            let encoded = try Projection.allCases.map { p in
                let (out, inp) = p.shape(c)
                return try matrix(projectionName(l, p), [out, inp], p == .q ? qOrder : p == .k ? kOrder : nil)
            }
            layers.append(LlamaLayerWeights(config: c, attentionNorm: attentionNorm, feedForwardNorm: feedForwardNorm, encoded: encoded))
        }
        let finalNorm = try vector(finalNormName, c.hiddenSize)
        var output = embedding
        if let outputName, !c.tiedEmbeddings {
            output = try matrix(outputName, [c.vocabularySize, c.hiddenSize], nil)
        }
        return LlamaWeights(config: c, encodedEmbedding: embedding, layers: layers, finalNorm: finalNorm, encodedOutput: output)
    }

    static func loadResident(gguf: GGUFFile, config c: LlamaConfig) throws -> LlamaWeights {
        let file = gguf.url.path
        let mapping = try MappedFile(url: gguf.url)
        func info(_ name: String, _ shape: [Int]) throws -> GGUFFile.TensorInfo {
            guard let info = gguf.tensors[name] else { throw CheckpointError.missingTensor(file: file, tensor: name) }
            guard info.shape == shape else {
                throw CheckpointError.shapeMismatch(file: file, tensor: name, reason: "file has \(info.shape), config implies \(shape)")
            }
            guard info.type.isSupported else { throw CheckpointError.unsupportedTensorType(file: file, tensor: name, type: info.type.name) }
            return info
        }
        return try assembleResident(
            config: c, embeddingName: "token_embd.weight", finalNormName: "output_norm.weight", outputName: "output.weight",
            layerTensorName: { l, kind in kind == "attention_norm" ? "blk.\(l).attn_norm.weight" : "blk.\(l).ffn_norm.weight" },
            projectionName: { l, p in "blk.\(l).\(ggufNames[p]!).weight" },
            unpermuteQK: true,
            matrix: { name, shape, order in
                let t = try info(name, shape)
                guard t.type.byteCount(elements: shape[1]) != nil else {
                    throw CheckpointError.shapeMismatch(file: file, tensor: name,
                        reason: "rows of \(shape[1]) values are not a whole number of \(t.type.name) blocks")
                }
                return EncodedMatrix(type: t.type, rows: shape[0], cols: shape[1], base: mapping.base + gguf.fileOffset(of: name)!,
                                     rowOrder: order, owner: mapping)
            },
            vector: { name, count in
                _ = try info(name, [count])
                let t = Tensor(shape: [count])
                try gguf.dequantize(name, into: t.data)
                return t
            })
    }

    static func loadResident(huggingFace folder: URL, config c: LlamaConfig) throws -> LlamaWeights {
        let shards = try shardFiles(folder: folder)
        let mappings = try shards.map { try MappedFile(url: $0.url) }
        let hasHead = shards.contains { $0.contains("lm_head.weight") }
        func locate(_ name: String, _ shape: [Int]) throws -> Int {
            guard let i = shards.firstIndex(where: { $0.contains(name) }) else {
                throw CheckpointError.missingTensor(file: folder.path, tensor: name)
            }
            let actual = try shards[i].shape(name)
            guard actual == shape else {
                throw CheckpointError.shapeMismatch(file: shards[i].url.path, tensor: name, reason: "file has \(actual), config implies \(shape)")
            }
            return i
        }
        return try assembleResident(
            config: c, embeddingName: "model.embed_tokens.weight", finalNormName: "model.norm.weight",
            outputName: hasHead ? "lm_head.weight" : nil,
            layerTensorName: { l, kind in
                "model.layers.\(l)." + (kind == "attention_norm" ? "input_layernorm.weight" : "post_attention_layernorm.weight")
            },
            projectionName: { l, p in "model.layers.\(l).\(p.modulePath).weight" },
            unpermuteQK: false,
            matrix: { name, shape, order in
                let i = try locate(name, shape)
                let shard = shards[i], entry = shard.entries[name]!
                // F32/F16/BF16 elements are ggml's f32/f16/bf16 (little-endian IEEE/bfloat), decoded
                // by the same code; any other dtype is converted once, as the float32 loader does.
                let stored: GGMLType? = ["F32": .f32, "F16": .f16, "BF16": .bf16][entry.dtype]
                if let stored {
                    return EncodedMatrix(type: stored, rows: shape[0], cols: shape[1],
                                         base: mappings[i].base + shard.dataStart + entry.begin, rowOrder: order, owner: mappings[i])
                }
                let t = try shard.tensor(name)
                return EncodedMatrix(type: .f32, rows: shape[0], cols: shape[1], base: UnsafeRawPointer(t.data), rowOrder: order, owner: t)
            },
            vector: { name, count in
                let i = try locate(name, [count])
                return try shards[i].tensor(name)
            })
    }
}
