import Foundation
import Engine

/// The seven linear projections of a decoder layer, named as PEFT names them.
public enum Projection: String, CaseIterable, Codable, Sendable {
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

    /// Accepts "q", "q_proj", "self_attn.q_proj".
    public init?(name: String) {
        let short = name.split(separator: ".").last.map(String.init) ?? name
        if let p = Projection(rawValue: short) { self = p; return }
        if let p = Projection.allCases.first(where: { $0.rawValue.hasPrefix(short + "_") }) { self = p; return }
        return nil
    }
}

/// One decoder layer's frozen weights, float32, HF layout (`[out, in]` row-major; q/k rows in the
/// HF order that rotate-half RoPE expects).
public final class LlamaLayerWeights: @unchecked Sendable {
    public let attentionNorm: Tensor      // [C]
    public let feedForwardNorm: Tensor    // [C]
    public let projections: [Projection: Tensor]

    public init(attentionNorm: Tensor, feedForwardNorm: Tensor, projections: [Projection: Tensor]) {
        self.attentionNorm = attentionNorm
        self.feedForwardNorm = feedForwardNorm
        self.projections = projections
    }

    public subscript(_ p: Projection) -> Tensor { projections[p]! }
}

/// All frozen weights of a LLaMA-family model, dequantized once to float32.
public final class LlamaWeights: @unchecked Sendable {
    public let embedding: Tensor          // [V, C]
    public let layers: [LlamaLayerWeights]
    public let finalNorm: Tensor          // [C]
    /// The LM head `[V, C]`; the same tensor as `embedding` when tied.
    public let output: Tensor

    public init(embedding: Tensor, layers: [LlamaLayerWeights], finalNorm: Tensor, output: Tensor) {
        self.embedding = embedding; self.layers = layers; self.finalNorm = finalNorm; self.output = output
    }

    /// Number of float32 parameters held (tied output counted once).
    public var parameterCount: Int {
        var n = embedding.count + finalNorm.count + (output === embedding ? 0 : output.count)
        for l in layers { n += l.attentionNorm.count + l.feedForwardNorm.count + l.projections.values.reduce(0) { $0 + $1.count } }
        return n
    }
}
