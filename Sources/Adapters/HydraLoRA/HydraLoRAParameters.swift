import Engine
import Models

/// Hyper-parameters of HydraLoRA / R-LoRA: rank r of the shared A, `heads` B heads (HydraLoRA's
/// `lora_nums`, one per training task), `scale = alpha / r`, and R-LoRA's multi-head dropout rate.
public struct HydraLoRAConfig: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var heads: Int
    public var targets: [Projection]
    /// R-LoRA's multi-head dropout on A x, a different mask per head, training only (0 = off; HydraLoRA uses 0).
    public var headDropout: Float

    public init(rank: Int = 8, alpha: Float = 16, heads: Int, targets: [Projection] = [.q, .k, .v, .o], headDropout: Float = 0) {
        precondition(rank > 0 && heads > 0 && headDropout >= 0 && headDropout < 1, "HydraLoRAConfig: invalid rank/heads/dropout")
        self.rank = rank; self.alpha = alpha; self.heads = heads; self.targets = targets.sorted(); self.headDropout = headDropout
    }

    public var scale: Float { alpha / Float(rank) }
}

/// HydraLoRA's tensors for every site: shared A `[r, in]`, heads B_i `[out, r]`, router W_r `[H, in]`,
/// with gradient buffers of the same shapes.
public final class HydraLoRAParameters: @unchecked Sendable {
    public let config: HydraLoRAConfig
    public let sites: [AdapterSite]
    public private(set) var a: [AdapterSite: Tensor] = [:]
    public private(set) var heads: [AdapterSite: [Tensor]] = [:]
    public private(set) var router: [AdapterSite: Tensor] = [:]
    public private(set) var gradA: [AdapterSite: Tensor] = [:]
    public private(set) var gradHeads: [AdapterSite: [Tensor]] = [:]
    public private(set) var gradRouter: [AdapterSite: Tensor] = [:]

    /// Zero tensors for every target of every layer of `model`.
    public init(config: HydraLoRAConfig, model: LlamaConfig) {
        self.config = config
        self.sites = AdapterSite.all(config.targets, model: model)
        let r = config.rank, h = config.heads
        for s in sites {
            let (out, inp) = s.projection.shape(model)
            a[s] = Tensor(shape: [r, inp]); gradA[s] = Tensor(shape: [r, inp])
            heads[s] = (0..<h).map { _ in Tensor(shape: [out, r]) }
            gradHeads[s] = (0..<h).map { _ in Tensor(shape: [out, r]) }
            router[s] = Tensor(shape: [h, inp]); gradRouter[s] = Tensor(shape: [h, inp])
        }
    }

    /// HydraLoRA's initialisation (its `reset_parameters`): A and W_r ~ kaiming_uniform(a=√5), i.e.
    /// U(−1/√in, 1/√in); every B_i = 0, so the adapted model starts equal to the base model.
    public func initialiseLikeHydraLoRA(rng: inout SplitMix64) {
        for s in sites {
            Self.kaimingUniform(a[s]!, rng: &rng)
            Self.kaimingUniform(router[s]!, rng: &rng)
            for b in heads[s]! { b.zero() }
        }
    }

    /// U(−1/√fan_in, 1/√fan_in) with fan_in = the tensor's second dimension (torch's kaiming_uniform_(a=√5)).
    static func kaimingUniform(_ t: Tensor, rng: inout SplitMix64) {
        let bound = 1 / Double(t.shape[1]).squareRoot()
        for i in 0..<t.count { t.data[i] = Float((rng.nextUniform() * 2 - 1) * bound) }
    }

    /// (name, parameter, gradient) in a fixed order; names extend PEFT's:
    /// `model.layers.N.self_attn.q_proj.lora_A.weight`, `….lora_B.{i}.weight`, `….lora_router.weight`.
    public var namedParameters: [(name: String, value: Tensor, grad: Tensor)] {
        sites.flatMap { s -> [(name: String, value: Tensor, grad: Tensor)] in
            var out: [(name: String, value: Tensor, grad: Tensor)] = [(name: "\(s.moduleName).lora_A.weight", value: a[s]!, grad: gradA[s]!)]
            for (i, (b, g)) in zip(heads[s]!, gradHeads[s]!).enumerated() {
                out.append((name: "\(s.moduleName).lora_B.\(i).weight", value: b, grad: g))
            }
            out.append((name: "\(s.moduleName).lora_router.weight", value: router[s]!, grad: gradRouter[s]!))
            return out
        }
    }

    public func zeroGradients() { for (_, _, g) in namedParameters { g.zero() } }

    /// Values ← other's (same config and sites).
    public func copyValues(from other: HydraLoRAParameters) {
        precondition(other.sites == sites && other.config.heads == config.heads && other.config.rank == config.rank,
                     "copyValues: incompatible HydraLoRA parameters")
        for (mine, theirs) in zip(namedParameters, other.namedParameters) { mine.value.copy(from: theirs.value) }
    }
}
