import Foundation
import Engine

/// A checkpoint on disk: a GGUF file, or a Hugging Face folder (`config.json` + safetensors).
public enum ModelFormat: String, Sendable, Codable { case gguf, huggingFace = "safetensors" }

/// A loaded model: config, frozen weights (float32 or resident, `WeightResidency`), the decoder that computes with them, and the
/// file identity recorded with every result.
public final class LanguageModel: @unchecked Sendable {
    public let url: URL
    public let format: ModelFormat
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let decoder: LlamaDecoder
    /// GGUF metadata (nil for HF folders), for `inspect` and the tokenizer.
    public let gguf: GGUFFile?
    /// Tensor types found in the file, e.g. ["Q4_1": 210, "F32": 61].
    public let tensorTypes: [String: Int]
    /// The model's own tokenizer (GGUF `tokenizer.*` metadata, or `tokenizer.json` in an HF
    /// folder); nil for a folder that ships none.
    public let tokenizer: Tokenizer?

    /// `weights` chooses how the frozen weights are held (`WeightResidency`; `.auto` is decided
    /// from the model's size and recorded resolved in `weights.residency`).
    public init(url: URL, maxSequenceLength: Int? = nil, weights residency: WeightResidency = .auto) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw CheckpointError.unreadable(file: url.path, reason: "no such file or folder")
        }
        self.url = url
        if !isDirectory.boolValue, url.pathExtension == "safetensors" {
            // One safetensors file whose folder holds the config.json (and tokenizer files) of a
            // Hugging Face checkpoint: what `metalora merge --out NAME.safetensors` writes.
            format = .huggingFace
            let folder = url.deletingLastPathComponent()
            let configURL = folder.appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: configURL.path) else {
                throw CheckpointError.unreadable(file: url.path, reason: "a lone .safetensors file needs a config.json beside it (\(configURL.path) is missing)")
            }
            config = try LlamaConfig(huggingFaceConfig: configURL)
            let shard = try SafeTensorsFile(url: url)
            weights = try WeightLoader.load(huggingFace: folder, config: config, shards: [shard])
            gguf = nil
            tensorTypes = shard.entries.values.reduce(into: [:]) { $0[$1.dtype, default: 0] += 1 }
            let json = folder.appendingPathComponent("tokenizer.json")
            tokenizer = FileManager.default.fileExists(atPath: json.path) ? try Tokenizer.fromHuggingFace(directory: folder) : nil
        } else if isDirectory.boolValue {
            format = .huggingFace
            try LanguageModel.requireModelFolder(url)
            config = try LlamaConfig(huggingFaceConfig: url.appendingPathComponent("config.json"))
            weights = residency.resolved(parameters: config.matmulParameterCount) == .resident
                ? try WeightLoader.loadResident(huggingFace: url, config: config)
                : try WeightLoader.load(huggingFace: url, config: config)
            gguf = nil
            var types: [String: Int] = [:]
            for shard in try WeightLoader.shardFiles(folder: url) {
                for e in shard.entries.values { types[e.dtype, default: 0] += 1 }
            }
            tensorTypes = types
            let json = url.appendingPathComponent("tokenizer.json")
            tokenizer = FileManager.default.fileExists(atPath: json.path) ? try Tokenizer.fromHuggingFace(directory: url) : nil
        } else {
            format = .gguf
            let file = try GGUFFile(url: url)
            config = try LlamaConfig(gguf: file)
            weights = residency.resolved(parameters: config.matmulParameterCount) == .resident
                ? try WeightLoader.loadResident(gguf: file, config: config)
                : try WeightLoader.load(gguf: file, config: config)
            gguf = file
            tensorTypes = file.tensors.values.reduce(into: [:]) { $0[$1.type.name, default: 0] += 1 }
            // llama.cpp's "no" tokenizer model (LLAMA_VOCAB_TYPE_NONE): a model shipped without a vocabulary.
            let tokenizerModel = file.metadata["tokenizer.ggml.model"]?.string
            tokenizer = file.metadata["tokenizer.ggml.model"] == nil || tokenizerModel == "no" ? nil : try Tokenizer.fromGGUF(file)
        }
        decoder = LlamaDecoder(weights: weights, maxSequenceLength: maxSequenceLength)
    }

    /// A folder given as the model must hold a Hugging Face checkpoint; an empty folder, or one
    /// holding something else (say, a GGUF file), is named as such.
    static func requireModelFolder(_ url: URL) throws {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        if names.contains("config.json") { return }
        if names.isEmpty {
            throw CheckpointError.unreadable(file: url.path, reason: "the folder is empty: --model takes a GGUF file or a Hugging Face folder (config.json + *.safetensors)")
        }
        let ggufs = names.filter { $0.hasSuffix(".gguf") }
        let hint = ggufs.isEmpty ? "" : "; to use a GGUF file, pass it itself, e.g. --model \(url.appendingPathComponent(ggufs[0]).path)"
        throw CheckpointError.unreadable(file: url.path, reason: "the folder holds no Hugging Face model (no config.json among "
            + "\(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? ", …" : ""))\(hint)")
    }

    /// The tokenizer, or an error saying this checkpoint has none.
    public func requireTokenizer() throws -> Tokenizer {
        guard let tokenizer else {
            throw CheckpointError.unsupported(file: url.path, reason: "no tokenizer (GGUF tokenizer.* metadata or tokenizer.json) in this checkpoint")
        }
        return tokenizer
    }

    /// Token ids that end generation: EOS and, for chat models, the end-of-turn token.
    public var stopTokenIds: Set<Int> {
        var ids = Set<Int>()
        if let eos = tokenizer?.eosId { ids.insert(eos) }
        for name in ["<|im_end|>", "<|eot_id|>", "<|endoftext|>"] { if let id = tokenizer?.tokenId(name) { ids.insert(id) } }
        return ids
    }

    public convenience init(path: String, maxSequenceLength: Int? = nil, weights: WeightResidency = .auto) throws {
        try self.init(url: URL(fileURLWithPath: path), maxSequenceLength: maxSequenceLength, weights: weights)
    }

    /// `ModelFingerprint.sha256` of the checkpoint, computed once: callers store it with their results.
    public lazy var fileHash: String = { (try? ModelFingerprint.sha256(of: url)) ?? "unreadable" }()
}
