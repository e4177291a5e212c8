import Foundation

/// Hyper-parameters of a LLaMA-family decoder, read from GGUF metadata or a Hugging Face
/// `config.json`. Shapes legend used across the model: C = hidden size, NH = query heads,
/// NKV = key/value heads, HS = head size, H = feed-forward size, V = vocabulary, L = layers.
public struct LlamaConfig: Sendable, Codable, Equatable {
    public var architecture: String
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    public var headSize: Int
    /// Dimensions of each head that RoPE rotates (the rest pass through).
    public var ropeDimensions: Int
    public var ropeTheta: Double
    /// Linear RoPE scaling divides positions by this factor (1 = none).
    public var ropeLinearScale: Double
    public var rmsNormEpsilon: Float
    public var contextLength: Int
    public var tiedEmbeddings: Bool

    public var queryWidth: Int { headCount * headSize }
    public var keyValueWidth: Int { keyValueHeadCount * headSize }
    /// Weights of all matrices (projections, embedding, and the LM head when untied).
    public var matmulParameterCount: Int {
        let perLayer = hiddenSize * (2 * queryWidth + 2 * keyValueWidth) + 3 * hiddenSize * intermediateSize
        return layerCount * perLayer + vocabularySize * hiddenSize * (tiedEmbeddings ? 1 : 2)
    }
    /// (in, out) features of the stacked projections a layer multiplies by (QKV, up, down,
    /// gate+up): the shapes sgemm is timed at.
    public var projectionShapes: [(inFeatures: Int, outFeatures: Int)] {
        [(hiddenSize, queryWidth + 2 * keyValueWidth), (hiddenSize, intermediateSize),
         (intermediateSize, hiddenSize), (hiddenSize, 2 * intermediateSize)]
    }

    /// Checks internal consistency; `file` names the source in errors.
    func validated(file: String) throws -> LlamaConfig {
        func bad(_ why: String) -> CheckpointError { .corrupt(file: file, reason: why) }
        guard vocabularySize > 0, hiddenSize > 0, intermediateSize > 0, layerCount > 0, headCount > 0 else {
            throw bad("non-positive model dimension in \(self)")
        }
        guard keyValueHeadCount > 0, headCount % keyValueHeadCount == 0 else {
            throw bad("\(headCount) query heads are not a multiple of \(keyValueHeadCount) key/value heads")
        }
        guard headSize > 0, headSize % 2 == 0 else { throw bad("head size \(headSize) must be even") }
        guard ropeDimensions > 0, ropeDimensions <= headSize, ropeDimensions % 2 == 0 else {
            throw bad("RoPE dimensions \(ropeDimensions) must be even and at most the head size \(headSize)")
        }
        guard rmsNormEpsilon > 0, ropeTheta > 0, ropeLinearScale > 0 else { throw bad("non-positive eps/theta/scale") }
        return self
    }

    static let supportedArchitectures: Set<String> = ["llama", "mistral"]

    /// From GGUF metadata keys `{arch}.block_count`, `{arch}.attention.head_count`, … as written by
    /// llama.cpp's converter.
    public init(gguf: GGUFFile) throws {
        let file = gguf.url.path
        guard let arch = gguf.architecture else { throw CheckpointError.missingMetadata(file: file, key: "general.architecture") }
        guard LlamaConfig.supportedArchitectures.contains(arch) else {
            throw CheckpointError.unsupported(file: file, reason: "architecture '\(arch)' (supported: \(LlamaConfig.supportedArchitectures.sorted().joined(separator: ", ")))")
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let v = gguf.metadata["\(arch).\(key)"] {
                guard let i = v.int else { throw CheckpointError.corrupt(file: file, reason: "\(arch).\(key) is \(v.typeName), expected an integer") }
                return i
            }
            if let value { return value }
            throw CheckpointError.missingMetadata(file: file, key: "\(arch).\(key)")
        }
        let hidden = try int("embedding_length")
        let heads = try int("attention.head_count")
        let headSize = try int("attention.key_length", default: heads > 0 ? hidden / heads : 0)
        let vocab = try gguf.metadata["\(arch).vocab_size"]?.int
            ?? gguf.metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? gguf.tensors["token_embd.weight"]?.ne.last
            ?? { throw CheckpointError.missingMetadata(file: file, key: "\(arch).vocab_size") }()
        var scale = 1.0
        if let type = gguf.metadata["\(arch).rope.scaling.type"]?.string, type != "none" {
            guard type == "linear" else {
                throw CheckpointError.unsupported(file: file, reason: "RoPE scaling type '\(type)' (supported: none, linear)")
            }
            scale = gguf.metadata["\(arch).rope.scaling.factor"]?.double ?? 1
        }
        guard let eps = gguf.metadata["\(arch).attention.layer_norm_rms_epsilon"]?.float else {
            throw CheckpointError.missingMetadata(file: file, key: "\(arch).attention.layer_norm_rms_epsilon")
        }
        self = try LlamaConfig(
            architecture: arch, vocabularySize: vocab, hiddenSize: hidden,
            intermediateSize: int("feed_forward_length"), layerCount: int("block_count"),
            headCount: heads, keyValueHeadCount: int("attention.head_count_kv", default: heads),
            headSize: headSize, ropeDimensions: int("rope.dimension_count", default: headSize),
            ropeTheta: gguf.metadata["\(arch).rope.freq_base"]?.double ?? 10_000,
            ropeLinearScale: scale, rmsNormEpsilon: eps,
            contextLength: int("context_length", default: 4096),
            tiedEmbeddings: gguf.tensors["output.weight"] == nil
        ).validated(file: file)
    }

    /// From a Hugging Face `config.json` (transformers 4 and 5 key spellings).
    public init(huggingFaceConfig url: URL) throws {
        let file = url.path
        guard let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CheckpointError.corrupt(file: file, reason: "not a JSON object")
        }
        func value(_ key: String) -> Any? { json[key] ?? (json["text_config"] as? [String: Any])?[key] }
        func int(_ key: String, default d: Int? = nil) throws -> Int {
            if let v = value(key) as? Int { return v }
            if let v = value(key) as? Double, v == v.rounded() { return Int(v) }
            if let d { return d }
            throw CheckpointError.missingMetadata(file: file, key: key)
        }
        let modelType = (value("model_type") as? String) ?? "llama"
        guard LlamaConfig.supportedArchitectures.contains(modelType) else {
            throw CheckpointError.unsupported(file: file, reason: "model_type '\(modelType)' (supported: \(LlamaConfig.supportedArchitectures.sorted().joined(separator: ", ")))")
        }
        let hidden = try int("hidden_size")
        let heads = try int("num_attention_heads")
        let headSize = try int("head_dim", default: hidden / max(heads, 1))
        let ropeParameters = value("rope_parameters") as? [String: Any]
        let theta = (value("rope_theta") as? Double) ?? (ropeParameters?["rope_theta"] as? Double) ?? 10_000
        var scale = 1.0
        if let scaling = (value("rope_scaling") as? [String: Any]) ?? ropeParameters {
            let type = (scaling["rope_type"] as? String) ?? (scaling["type"] as? String) ?? "default"
            switch type {
            case "default": break
            case "linear": scale = (scaling["factor"] as? Double) ?? 1
            default: throw CheckpointError.unsupported(file: file, reason: "rope scaling '\(type)' (supported: default, linear)")
            }
        }
        let eps = (value("rms_norm_eps") as? Double) ?? 1e-6
        self = try LlamaConfig(
            architecture: modelType, vocabularySize: int("vocab_size"), hiddenSize: hidden,
            intermediateSize: int("intermediate_size"), layerCount: int("num_hidden_layers"),
            headCount: heads, keyValueHeadCount: int("num_key_value_heads", default: heads),
            headSize: headSize, ropeDimensions: headSize, ropeTheta: theta, ropeLinearScale: scale,
            rmsNormEpsilon: Float(eps), contextLength: int("max_position_embeddings", default: 4096),
            tiedEmbeddings: (value("tie_word_embeddings") as? Bool) ?? false
        ).validated(file: file)
    }

    public init(architecture: String, vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                headCount: Int, keyValueHeadCount: Int, headSize: Int, ropeDimensions: Int, ropeTheta: Double,
                ropeLinearScale: Double, rmsNormEpsilon: Float, contextLength: Int, tiedEmbeddings: Bool) {
        self.architecture = architecture; self.vocabularySize = vocabularySize; self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize; self.layerCount = layerCount; self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount; self.headSize = headSize; self.ropeDimensions = ropeDimensions
        self.ropeTheta = ropeTheta; self.ropeLinearScale = ropeLinearScale; self.rmsNormEpsilon = rmsNormEpsilon
        self.contextLength = contextLength; self.tiedEmbeddings = tiedEmbeddings
    }
}
