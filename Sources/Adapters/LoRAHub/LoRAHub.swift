import Foundation
import Engine
import Models

/// LoRAHub (Huang et al. 2023, "LoraHub: Efficient Cross-Task Generalization via Dynamic LoRA
/// Composition"): combine K upstream LoRA modules with weights w found by a gradient-free search on
/// a few examples of the target task.
///
/// Composition follows LoRAHub's code: A and B are combined *separately*,
///   A = Σ_k w_k A_k,   B = Σ_k w_k B_k     (so ΔW = B A, not Σ_k w_k B_k A_k).
/// The search minimises objective(w) + l1 · mean_k |w_k| (LoRAHub's default regulariser 0.05) over
/// w ∈ bounds^K (default [−1.5, 1.5]) with a budget of evaluations (LoRAHub: 40), starting from w = 0
/// as LoRAHub does. LoRAHub uses nevergrad's NGOpt; we use the self-contained `CMAES` instead.
public enum LoRAHub {
    /// Writes Σ_k w_k θ_k into `target` (A and B separately). All adapters must share rank and sites.
    public static func compose(upstream: [LoRAParameters], weights: [Float], into target: LoRAParameters) {
        precondition(!upstream.isEmpty && upstream.count == weights.count, "LoRAHub.compose: \(upstream.count) modules, \(weights.count) weights")
        for u in upstream {
            precondition(u.sites == target.sites && u.config.rank == target.config.rank, "LoRAHub.compose: upstream modules differ in sites or rank")
        }
        let params = target.namedParameters
        for (index, (_, value, _)) in params.enumerated() {
            value.zero()
            for (u, w) in zip(upstream, weights) {
                Elementwise.axpy(value.data, alpha: w, u.namedParameters[index].value.data, count: value.count)
            }
        }
    }

    /// A new parameter set Σ_k w_k θ_k (config of the first upstream module).
    public static func compose(upstream: [LoRAParameters], weights: [Float], model: LlamaConfig) -> LoRAParameters {
        precondition(!upstream.isEmpty, "LoRAHub.compose: no upstream modules")
        let out = LoRAParameters(config: upstream[0].config, model: model)
        compose(upstream: upstream, weights: weights, into: out)
        return out
    }

    public struct Evaluation: Sendable {
        public let weights: [Float]
        /// objective(w) + l1 · mean|w|.
        public let value: Double
    }

    public struct SearchResult: Sendable {
        public let weights: [Float]
        public let bestObjective: Double
        /// Every evaluation in order (count = budget).
        public let history: [Evaluation]
    }

    /// Gradient-free search of the combination weights with CMA-ES: exactly `budget` evaluations of
    /// `objective` (the first at w = 0); returns the best point seen. Deterministic for a given seed.
    /// The default step size 0.1 × the range (0.3 for [−1.5, 1.5]) did best at a budget of 40 on
    /// convex test objectives for K = 5…20 (see LoRAHubTests).
    public static func search(upstreamCount k: Int, budget: Int = 40, bounds: ClosedRange<Float> = -1.5...1.5,
                              l1: Double = 0.05, seed: UInt64, initialSigma: Double? = nil,
                              objective: ([Float]) throws -> Double) rethrows -> SearchResult {
        precondition(k > 0 && budget > 0, "LoRAHub.search: need at least one module and one evaluation")
        let lo = Double(bounds.lowerBound), hi = Double(bounds.upperBound)
        var history: [Evaluation] = []
        func evaluate(_ x: [Double]) throws -> Double {
            let w = x.map { Float(min(max($0, lo), hi)) }
            let value = try objective(w) + l1 * w.reduce(0) { $0 + Double(abs($1)) } / Double(k)
            history.append(Evaluation(weights: w, value: value))
            return value
        }
        let start = [Double](repeating: min(max(0, lo), hi), count: k)
        _ = try evaluate(start)
        var es = CMAES(initialMean: start, initialSigma: initialSigma ?? 0.1 * (hi - lo), lower: lo, upper: hi, seed: seed)
        while history.count < budget {
            let candidates = es.ask()
            let take = min(candidates.count, budget - history.count)
            var values: [Double] = []
            for x in candidates.prefix(take) { values.append(try evaluate(x)) }
            if take >= es.mu { es.tell(Array(candidates.prefix(take)), values) }
        }
        let best = history.min { $0.value < $1.value }!
        return SearchResult(weights: best.weights, bestObjective: best.value, history: history)
    }
}
