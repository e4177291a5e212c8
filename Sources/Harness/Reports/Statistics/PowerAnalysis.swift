// Minimum detectable difference (MDD) of a paired comparison before anything runs: the smallest
// true difference in accuracy a two-sided test at level α finds with probability `power`:
//   MDD = (z_{1−α/2} + z_{power}) · SE_Δ,   SE_Δ² = Σ_s w_s² · 2 p_s(1 − p_s) / n_s
// with p_s the expected accuracy (the base model's where the store has it) and w_s the subset
// weights. 2p(1−p) is the variance of a per-item difference when the two methods' errors are
// independent; fine-tunes of one base model agree on most items, so the real SE_Δ is smaller and
// this MDD errs on the side of caution. Against a fixed chance level the variance is p(1−p)/n_s.
import Foundation

public enum PowerAnalysis {
    public static let alpha = 0.05
    public static let power = 0.80

    /// z_{1−α/2} + z_{power}: 1.95996 + 0.84162 = 2.80158 at the defaults.
    public static func zSum(alpha: Double = alpha, power: Double = power) -> Double {
        Statistics.normalQuantile(1 - alpha / 2) + Statistics.normalQuantile(power)
    }

    /// MDD (a fraction) of a paired difference over subsets of sizes `sizes` at accuracy `p` each.
    public static func pairedMDD(sizes: [Int], p: Double, weighting: SubsetWeighting,
                                 alpha: Double = alpha, power: Double = power) -> Double? {
        mdd(sizes: sizes, p: p, weighting: weighting, varianceFactor: 2, alpha: alpha, power: power)
    }

    /// MDD (a fraction) of one method's accuracy against a known chance level `p`.
    public static func oneSampleMDD(sizes: [Int], p: Double, weighting: SubsetWeighting,
                                    alpha: Double = alpha, power: Double = power) -> Double? {
        mdd(sizes: sizes, p: p, weighting: weighting, varianceFactor: 1, alpha: alpha, power: power)
    }

    static func mdd(sizes: [Int], p: Double, weighting: SubsetWeighting, varianceFactor: Double,
                    alpha: Double, power: Double) -> Double? {
        let tallies = sizes.map { SubsetTally(correct: 0, n: $0) }
        guard tallies.contains(where: { $0.n > 0 }) else { return nil }
        let w = Statistics.weights(tallies, weighting: weighting)
        var variance = 0.0
        for (s, ws) in zip(tallies, w) where s.n > 0 { variance += ws * ws * varianceFactor * p * (1 - p) / Double(s.n) }
        return zSum(alpha: alpha, power: power) * variance.squareRoot()
    }

    /// The MDD of an unweighted average of J disjoint columns, from the columns' own MDDs.
    public static func averageMDD(_ parts: [Double]) -> Double? {
        guard !parts.isEmpty else { return nil }
        return (parts.reduce(0) { $0 + $1 * $1 }).squareRoot() / Double(parts.count)
    }
}
