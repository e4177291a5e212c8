import Foundation
import Engine

/// Writes a loaded model's in-memory weights back to a checkpoint in its source's format (a
/// GGUF file from a GGUF, a safetensors file with the folder's config and tokenizer files from
/// a Hugging Face folder). Tensors the caller changed (`changed`) are written as F32 from
/// memory; every other tensor is copied byte for byte, in its stored type, so the file differs
/// from the source only where the weights do.
public enum ModelFileWriter {
    /// Files beside `model.safetensors` that make a folder a loadable checkpoint.
    static let folderCompanions = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                   "generation_config.json", "tokenizer.model"]

    /// `provenance` goes into the file's metadata (GGUF `metalora.provenance`, safetensors
    /// `__metadata__`). Returns the files written.
    @discardableResult
    public static func write(_ model: LanguageModel, changed: (Int, Projection) -> Bool, provenance: String, to out: URL) throws -> [URL] {
        if FileManager.default.fileExists(atPath: out.path) {
            throw CheckpointError.unreadable(file: out.path, reason: "already exists; choose a new --out (an existing file is never overwritten)")
        }
        switch (model.format, out.pathExtension) {
        case (.gguf, "gguf"):
            try writeGGUF(model, changed: changed, provenance: provenance, to: out)
            return [out]
        case (.huggingFace, "safetensors"):
            return try writeSafeTensors(model, changed: changed, provenance: provenance, to: out)
        case (_, let ext) where ext != "gguf" && ext != "safetensors":
            throw CheckpointError.unsupported(file: out.path, reason: "the output must end in .gguf or .safetensors")
        default:
            throw CheckpointError.unsupported(file: out.path, reason: "a \(model.format == .gguf ? "GGUF" : "Hugging Face") model is written as "
                + "\(model.format == .gguf ? ".gguf" : ".safetensors"); converting between the formats is not implemented")
        }
    }

    /// A projection's weight as little-endian F32 bytes, in the HF row layout or, for GGUF q/k,
    /// llama.cpp's permuted one (within each head, GGUF row 2i + s holds HF row s·(HS/2) + i).
    static func projectionBytes(_ weights: LlamaWeights, layer: Int, projection p: Projection, ggufLayout: Bool) -> Data {
        let c = weights.config
        let (rows, cols) = p.shape(c)
        let w = weights.layers[layer].weight(p)
        var values = [Float](repeating: 0, count: rows * cols)
        let heads = p == .q ? c.headCount : c.keyValueHeadCount
        if ggufLayout && (p == .q || p == .k) {
            let headRows = rows / heads, half = headRows / 2
            for h in 0..<heads {
                for i in 0..<half {
                    for s in 0..<2 {
                        let from = (h * headRows + s * half + i) * cols, to = (h * headRows + 2 * i + s) * cols
                        for j in 0..<cols { values[to + j] = w[from + j] }
                    }
                }
            }
        } else {
            for i in 0..<values.count { values[i] = w[i] }
        }
        return values.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func writeGGUF(_ model: LanguageModel, changed: (Int, Projection) -> Bool, provenance: String, to out: URL) throws {
        guard let gguf = model.gguf else { throw CheckpointError.unsupported(file: model.url.path, reason: "no GGUF source") }
        var byName: [String: (Int, Projection)] = [:]
        for l in 0..<model.config.layerCount {
            for p in Projection.allCases { byName["blk.\(l).\(WeightLoader.ggufNames[p]!).weight"] = (l, p) }
        }
        let names = gguf.tensorOrder
        let specs = names.map { name -> GGUFFileWriter.TensorSpec in
            let info = gguf.tensors[name]!
            let merged = byName[name].map { changed($0.0, $0.1) } ?? false
            return GGUFFileWriter.TensorSpec(name: name, ne: info.ne, type: merged ? .f32 : info.type)
        }
        var metadata = gguf.metadataKeys.filter { $0 != "metalora.provenance" }.map { ($0, gguf.metadata[$0]!) }
        metadata.append(("metalora.provenance", .string(provenance)))
        try GGUFFileWriter.write(to: out, metadata: metadata, tensors: specs) { i in
            let name = names[i]
            if let (l, p) = byName[name], changed(l, p) {
                return [UInt8](projectionBytes(model.weights, layer: l, projection: p, ggufLayout: true))
            }
            return [UInt8](try gguf.rawBytes(name))
        }
    }

    static func writeSafeTensors(_ model: LanguageModel, changed: (Int, Projection) -> Bool, provenance: String, to out: URL) throws -> [URL] {
        let source = model.url.pathExtension == "safetensors" ? model.url.deletingLastPathComponent() : model.url
        let shards = model.url.pathExtension == "safetensors" ? [try SafeTensorsFile(url: model.url)] : try WeightLoader.shardFiles(folder: source)
        let folder = out.deletingLastPathComponent()
        if folder.standardizedFileURL.path == source.standardizedFileURL.path {
            throw CheckpointError.unsupported(file: out.path, reason: "write into a new folder, not the source model's (its files would be mixed with the merged ones)")
        }
        var byName: [String: (Int, Projection)] = [:]
        for l in 0..<model.config.layerCount {
            for p in Projection.allCases { byName["model.layers.\(l).\(p.modulePath).weight"] = (l, p) }
        }
        var tensors: [SafeTensorsFile.RawTensor] = []
        for shard in shards {
            for e in shard.entries.values {
                if let (l, p) = byName[e.name], changed(l, p) {
                    tensors.append(.init(name: e.name, dtype: "F32", shape: e.shape,
                                         bytes: projectionBytes(model.weights, layer: l, projection: p, ggufLayout: false)))
                } else {
                    tensors.append(.init(name: e.name, dtype: e.dtype, shape: e.shape, bytes: try shard.rawBytes(e.name)))
                }
            }
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var written: [URL] = []
        for name in folderCompanions {
            let from = source.appendingPathComponent(name), to = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: from.path) else { continue }
            if FileManager.default.fileExists(atPath: to.path) {
                throw CheckpointError.unreadable(file: to.path, reason: "already exists; choose a new folder for --out")
            }
            try FileManager.default.copyItem(at: from, to: to)
            written.append(to)
        }
        try SafeTensorsFile.writeRaw(tensors, metadata: ["format": "pt", "metalora_provenance": provenance], to: out)
        return [out] + written
    }
}
