import Foundation
import Engine

/// The seven linear projections of a decoder layer, named as PEFT names them.
public enum Projection: String, CaseIterable, Codable, Sendable, Comparable {
    case q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj"
    case gate = "gate_proj", up = "up_proj", down = "down_proj"

    /// The HF module path inside a layer: `self_attn.q_proj` or `mlp.gate_proj`.
    public var modulePath: String {
        switch self {
        case .q, .k, .v, .o: return "self_attn.\(rawValue)"
        case .gate, .up, .down: return "mlp.\(rawValue)"
        }
    }

    /// (out, in) of the projection's weight for a config.
    public func shape(_ c: LlamaConfig) -> (out: Int, in: Int) {
        switch self {
        case .q: return (c.queryWidth, c.hiddenSize)
        case .k, .v: return (c.keyValueWidth, c.hiddenSize)
        case .o: return (c.hiddenSize, c.queryWidth)
        case .gate, .up: return (c.intermediateSize, c.hiddenSize)
        case .down: return (c.hiddenSize, c.intermediateSize)
        }
    }

    /// Accepts "q", "q_proj", "self_attn.q_proj", "gate".
    public init?(name: String) {
        let short = name.split(separator: ".").last.map(String.init) ?? name
        if let p = Projection(rawValue: short) { self = p; return }
        if let p = Projection(rawValue: short + "_proj") { self = p; return }
        return nil
    }

    public static func < (a: Projection, b: Projection) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One decoder layer's frozen weights, HF layout (`[out, in]` row-major, q/k rows in the order
/// rotate-half RoPE expects), held one of two ways (`WeightResidency`):
/// - float32: q, k and v stacked in one `[NH·HS + 2·NKV·HS, C]` matrix and gate/up in one
///   `[2H, C]` matrix, so each group is a single sgemm;
/// - resident: one `EncodedMatrix` per projection, pointing into the mapped checkpoint.
/// The norms are float32 either way (C values each).
public final class LlamaLayerWeights: @unchecked Sendable {
    public let attentionNorm: Tensor      // [C]
    public let feedForwardNorm: Tensor    // [C]
    public let qkv: Tensor?               // [NH·HS + 2·NKV·HS, C] (float32 residency)
    public let output: Tensor?            // o_proj [C, NH·HS]
    public let gateUp: Tensor?            // [2H, C]
    public let down: Tensor?              // [C, H]
    /// Resident residency: the projections' stored encodings, in `Projection.allCases` order.
    public let encoded: [EncodedMatrix]?
    let config: LlamaConfig

    public init(config c: LlamaConfig) {
        config = c
        attentionNorm = Tensor(shape: [c.hiddenSize])
        feedForwardNorm = Tensor(shape: [c.hiddenSize])
        qkv = Tensor(shape: [c.queryWidth + 2 * c.keyValueWidth, c.hiddenSize])
        output = Tensor(shape: [c.hiddenSize, c.queryWidth])
        gateUp = Tensor(shape: [2 * c.intermediateSize, c.hiddenSize])
        down = Tensor(shape: [c.hiddenSize, c.intermediateSize])
        encoded = nil
    }

    /// A resident layer: float32 norms, projections as stored (`encoded` in `Projection.allCases` order).
    init(config c: LlamaConfig, attentionNorm: Tensor, feedForwardNorm: Tensor, encoded: [EncodedMatrix]) {
        precondition(encoded.count == Projection.allCases.count, "one encoded matrix per projection")
        config = c
        self.attentionNorm = attentionNorm; self.feedForwardNorm = feedForwardNorm
        qkv = nil; output = nil; gateUp = nil; down = nil
        self.encoded = encoded
    }

    public var isResident: Bool { encoded != nil }

    /// The stored encoding of one projection (resident residency), nil for float32 weights.
    @inline(__always)
    public func encoded(_ p: Projection) -> EncodedMatrix? { encoded?[Projection.indexOf(p)] }

    /// The float32 `[out, in]` weight of one projection (a row range of a stacked matrix for
    /// q/k/v/gate/up). Only float32 residency has one; resident layers decode per product.
    public func weight(_ p: Projection) -> UnsafeMutablePointer<Float> {
        guard let qkv, let output, let gateUp, let down else {
            preconditionFailure("LlamaLayerWeights.weight(\(p)): the weights are resident (kept as stored); "
                + "in-place float32 access needs the model loaded with --weights f32")
        }
        let c = config
        switch p {
        case .q: return qkv.data
        case .k: return qkv.data + c.queryWidth * c.hiddenSize
        case .v: return qkv.data + (c.queryWidth + c.keyValueWidth) * c.hiddenSize
        case .o: return output.data
        case .gate: return gateUp.data
        case .up: return gateUp.data + c.intermediateSize * c.hiddenSize
        case .down: return down.data
        }
    }

    /// A float32 copy of one projection's weight (decoded when resident), for tests and merging checks.
    public func weightTensor(_ p: Projection) -> Tensor {
        let (out, inp) = p.shape(config)
        let t = Tensor(shape: [out, inp])
        if let e = encoded(p) { e.decode(into: t.data) } else { t.data.update(from: weight(p), count: out * inp) }
        return t
    }

    /// Weights of the seven projections.
    var matmulCount: Int { Projection.allCases.reduce(0) { let s = $1.shape(config); return $0 + s.out * s.in } }
}

/// All frozen weights of a LLaMA-family model: float32 copies, or (resident) the checkpoint's own
/// encodings mapped from the file; see `WeightResidency`.
public final class LlamaWeights: @unchecked Sendable {
    public let config: LlamaConfig
    public let layers: [LlamaLayerWeights]
    public let finalNorm: Tensor          // [C]
    /// `.f32` or `.resident` (never `.auto`).
    public let residency: WeightResidency
    let embeddingTensor: Tensor?
    let outputTensor: Tensor?
    /// Resident residency: the embedding table `[V, C]` and LM head `[V, C]` as stored (the same
    /// object when tied).
    public let encodedEmbedding: EncodedMatrix?
    public let encodedOutput: EncodedMatrix?

    public init(config: LlamaConfig, embedding: Tensor, layers: [LlamaLayerWeights], finalNorm: Tensor, output: Tensor) {
        self.config = config; self.embeddingTensor = embedding; self.layers = layers; self.finalNorm = finalNorm
        self.outputTensor = output; self.residency = .f32; encodedEmbedding = nil; encodedOutput = nil
    }

    init(config: LlamaConfig, encodedEmbedding: EncodedMatrix, layers: [LlamaLayerWeights], finalNorm: Tensor,
         encodedOutput: EncodedMatrix) {
        self.config = config; self.layers = layers; self.finalNorm = finalNorm; self.residency = .resident
        self.encodedEmbedding = encodedEmbedding; self.encodedOutput = encodedOutput
        embeddingTensor = nil; outputTensor = nil
    }

    /// The float32 embedding table `[V, C]` (float32 residency only).
    public var embedding: Tensor {
        guard let embeddingTensor else { preconditionFailure("LlamaWeights.embedding: resident weights have no float32 table (--weights f32)") }
        return embeddingTensor
    }
    /// The float32 LM head `[V, C]`; the same tensor as `embedding` when tied (float32 residency only).
    public var output: Tensor {
        guard let outputTensor else { preconditionFailure("LlamaWeights.output: resident weights have no float32 LM head (--weights f32)") }
        return outputTensor
    }

    var outputIsTied: Bool { residency == .resident ? encodedOutput === encodedEmbedding : outputTensor === embeddingTensor }

    /// Number of parameters held (tied output counted once).
    public var parameterCount: Int {
        let c = config
        var n = c.vocabularySize * c.hiddenSize * (outputIsTied ? 1 : 2) + c.hiddenSize
        for l in layers { n += 2 * c.hiddenSize + l.matmulCount }
        return n
    }

    /// Matmul weights (the "P" of the FLOP formulas), LM head included once.
    public var matmulParameterCount: Int {
        layers.reduce(config.vocabularySize * config.hiddenSize) { $0 + $1.matmulCount }
    }

    /// Bytes the frozen weights occupy in memory (float32 copies, or the stored encodings).
    public var residentBytes: Int {
        let c = config
        let norms = 4 * c.hiddenSize * (1 + 2 * layers.count)
        guard residency == .resident, let e = encodedEmbedding, let o = encodedOutput else { return 4 * parameterCount }
        return layers.reduce(norms + e.byteCount + (o === e ? 0 : o.byteCount)) { sum, l in
            sum + (l.encoded ?? []).reduce(0) { $0 + $1.byteCount }
        }
    }
}
