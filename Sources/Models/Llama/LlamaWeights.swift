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

/// One decoder layer's frozen weights, float32, HF layout (`[out, in]` row-major, q/k rows in the
/// order rotate-half RoPE expects). q, k and v are stored stacked in one `[NH·HS + 2·NKV·HS, C]`
/// matrix and gate/up in one `[2H, C]` matrix, so each group is a single sgemm.
public final class LlamaLayerWeights: @unchecked Sendable {
    public let attentionNorm: Tensor      // [C]
    public let feedForwardNorm: Tensor    // [C]
    public let qkv: Tensor                // [NH·HS + 2·NKV·HS, C]
    public let output: Tensor             // o_proj [C, NH·HS]
    public let gateUp: Tensor             // [2H, C]
    public let down: Tensor               // [C, H]
    let config: LlamaConfig

    public init(config c: LlamaConfig) {
        config = c
        attentionNorm = Tensor(shape: [c.hiddenSize])
        feedForwardNorm = Tensor(shape: [c.hiddenSize])
        qkv = Tensor(shape: [c.queryWidth + 2 * c.keyValueWidth, c.hiddenSize])
        output = Tensor(shape: [c.hiddenSize, c.queryWidth])
        gateUp = Tensor(shape: [2 * c.intermediateSize, c.hiddenSize])
        down = Tensor(shape: [c.hiddenSize, c.intermediateSize])
    }

    /// The `[out, in]` weight of one projection (a row range of a stacked matrix for q/k/v/gate/up).
    public func weight(_ p: Projection) -> UnsafeMutablePointer<Float> {
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

    /// A copy of one projection's weight as a tensor (tests, merging checks).
    public func weightTensor(_ p: Projection) -> Tensor {
        let (out, inp) = p.shape(config)
        let t = Tensor(shape: [out, inp])
        t.data.update(from: weight(p), count: out * inp)
        return t
    }
}

/// All frozen weights of a LLaMA-family model, dequantized once to float32.
public final class LlamaWeights: @unchecked Sendable {
    public let config: LlamaConfig
    public let embedding: Tensor          // [V, C]
    public let layers: [LlamaLayerWeights]
    public let finalNorm: Tensor          // [C]
    /// The LM head `[V, C]`; the same tensor as `embedding` when tied.
    public let output: Tensor

    public init(config: LlamaConfig, embedding: Tensor, layers: [LlamaLayerWeights], finalNorm: Tensor, output: Tensor) {
        self.config = config; self.embedding = embedding; self.layers = layers; self.finalNorm = finalNorm; self.output = output
    }

    /// Number of float32 parameters held (tied output counted once).
    public var parameterCount: Int {
        var n = embedding.count + finalNorm.count + (output === embedding ? 0 : output.count)
        for l in layers {
            n += l.attentionNorm.count + l.feedForwardNorm.count + l.qkv.count + l.output.count + l.gateUp.count + l.down.count
        }
        return n
    }

    /// Matmul weights (the "P" of the FLOP formulas), LM head included once.
    public var matmulParameterCount: Int {
        var n = output.count
        for l in layers { n += l.qkv.count + l.output.count + l.gateUp.count + l.down.count }
        return n
    }
}
