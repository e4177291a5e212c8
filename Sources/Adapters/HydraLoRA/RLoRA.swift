import Foundation
import Engine
import Models

// R-LoRA (Liu, Chang & Wu 2025, "R-LoRA: Random Initialization of Multi-Head LoRA for Multi-Task
// Learning", arXiv 2502.15455): HydraLoRA's structure plus Multi-Head Randomization:
//   1. Multi-head random initialisation: every B head starts random and different (HydraLoRA: all 0),
//      breaking the symmetry that keeps zero-initialised heads similar.
//   2. Multi-head dropout: dropout applied after A, on A x, with a different mask per head (training only).
//
// Starting unchanged. Because B_i⁰ ≠ 0 the adapter's initial output Δ₀(x) = scale·Σ_i p⁰_i(x) B_i⁰ A⁰ x is
// not zero. The authors' code (`reinit.py`) folds the head average into the frozen weight,
//   W' = W − scale · (1/H) Σ_i B_i⁰ A⁰,
// which cancels Δ₀ only when the router is exactly uniform (p⁰_i = 1/H); with the per-token softmax
// router it is approximate. We instead keep a frozen copy (A⁰, B_i⁰, W_r⁰) and subtract its exact
// contribution at run time: Δ(x) = scale·Σ_i p_i(x) B_i (m_i ⊙ A x) − scale·Σ_i p⁰_i(x) B_i⁰ A⁰ x
// (no dropout on the frozen term). At initialisation (and in eval mode) Δ = 0 exactly up to float32
// rounding; the frozen term is a fixed function of x, so it adds only to dx in the backward pass.

extension HydraLoRAParameters {
    /// R-LoRA's random start: A and W_r as HydraLoRA (Kaiming-uniform, U(−1/√in, 1/√in)) and every
    /// B_i Kaiming-uniform as well, U(−1/√r, 1/√r) with fan_in = r, drawn independently per head.
    public func initialiseLikeRLoRA(rng: inout SplitMix64) {
        for s in sites {
            Self.kaimingUniform(a[s]!, rng: &rng)
            Self.kaimingUniform(router[s]!, rng: &rng)
            for b in heads[s]! { Self.kaimingUniform(b, rng: &rng) }
        }
    }

    /// The authors' released start (jinda-liu/R-LoRA fine-tuning.sh:23–26, reinit.py): A [r, in]
    /// ~ N(0, 1/max(r, in)) and every B_i [out, r] ~ N(0, 1/max(out, r)) ("unit", reinit.py:35–39,
    /// 62–65), then A ×= r^¼/√γ and B_i ×= r^¼/√γ ("stable", reinit.py:71–76, with m_A = n_B = r);
    /// the router Kaiming-uniform as HydraLoRA's.
    public func initialiseLikeRLoRARelease(gamma: Double, rng: inout SplitMix64) {
        let factor = pow(Double(config.rank), 0.25) / gamma.squareRoot()
        func unit(_ t: Tensor) {
            let std = 1 / Double(max(t.shape[0], t.shape[1])).squareRoot() * factor
            for i in 0..<t.count { t.data[i] = Float(rng.nextNormal() * std) }
        }
        for s in sites {
            unit(a[s]!)
            Self.kaimingUniform(router[s]!, rng: &rng)
            for b in heads[s]! { unit(b) }
        }
    }
}

/// How R-LoRA's heads start.
public enum RLoRAInitialisation: Sendable, Equatable {
    /// A, router and every B head Kaiming-uniform.
    case kaiming
    /// The authors' release: unit Gaussians rescaled by r^¼/√γ (`initialiseLikeRLoRARelease`).
    case unitStable(gamma: Double)
}

extension HydraLoRAAdapter {
    /// R-LoRA with `tasks` heads, random B heads, multi-head dropout `headDropout` and the exact
    /// run-time subtraction of the initial output (the adapted model starts equal to the base model).
    public static func rLoRA(model: LlamaConfig, tasks: Int, rank: Int = 8, alpha: Float = 16,
                             targets: [Projection] = [.q, .k, .v, .o], headDropout: Float = 0.05,
                             initialisation: RLoRAInitialisation = .kaiming, seed: UInt64) -> HydraLoRAAdapter {
        let config = HydraLoRAConfig(rank: rank, alpha: alpha, heads: tasks, targets: targets, headDropout: headDropout)
        let p = HydraLoRAParameters(config: config, model: model)
        var rng = SplitMix64(seed: seed)
        switch initialisation {
        case .kaiming: p.initialiseLikeRLoRA(rng: &rng)
        case .unitStable(let gamma): p.initialiseLikeRLoRARelease(gamma: gamma, rng: &rng)
        }
        let frozen = HydraLoRAParameters(config: config, model: model)
        frozen.copyValues(from: p)
        return HydraLoRAAdapter(parameters: p, initial: frozen)
    }
}
