// Paired bootstrap of a difference in accuracy between two methods scored on the same items.
// Each item contributes d_i = a_i − b_i (a_i, b_i ∈ [0, 1]: correctness, averaged over seeds).
// The statistic is the headline average of the per-subset mean differences, Σ_s w_s · mean_s(d),
// with the benchmark's own subset weights. Resampling is stratified: each subset's items are
// redrawn with replacement within the subset, so every replicate keeps the subset sizes.
// The interval is the percentile interval of the replicates; the two-sided p-value is
// 2 · min(P*(Δ ≤ 0), P*(Δ ≥ 0)), capped at 1.
import Engine
import Foundation

public struct PairedDifference: Equatable, Sendable {
    /// Observed difference a − b (fraction, not percentage points).
    public var difference: Double
    public var low: Double
    public var high: Double
    public var pValue: Double
    /// Paired items.
    public var n: Int
    public var resamples: Int
    public var seed: UInt64
    public var confidence: Double

    /// True when `x` (a fraction) lies inside [low, high].
    public func contains(_ x: Double) -> Bool { x >= low - 1e-12 && x <= high + 1e-12 }
}

public enum PairedBootstrap {
    public static let defaultResamples = 10_000
    public static let defaultSeed: UInt64 = 20_250_601

    /// - Parameter strata: per subset, the paired item differences d_i; empty subsets are ignored.
    public static func run(strata: [[Double]], weighting: SubsetWeighting, resamples: Int = defaultResamples,
                           seed: UInt64 = defaultSeed, confidence: Double = 0.95) -> PairedDifference? {
        let used = strata.filter { !$0.isEmpty }
        guard !used.isEmpty else { return nil }
        let w = Statistics.weights(used.map { SubsetTally(correct: 0, n: $0.count) }, weighting: weighting)
        return run(strata: used, weights: w, resamples: resamples, seed: seed, confidence: confidence)
    }

    /// The same with each stratum's weight given: an AVG over J benchmarks resamples every
    /// benchmark's subsets at once, subset s of benchmark j weighing w_{j,s}/J.
    public static func run(strata: [[Double]], weights: [Double], resamples: Int = defaultResamples,
                           seed: UInt64 = defaultSeed, confidence: Double = 0.95) -> PairedDifference? {
        precondition(strata.count == weights.count, "one weight per stratum")
        var pairs = zip(strata, weights).filter { !$0.0.isEmpty }.map { ($0.0, $0.1) }
        // A one-item stratum redraws its own item every time and adds no variance, so a table of
        // one item per subject would get a zero-width interval. Such strata are pooled into one,
        // each item keeping its weight (w_s / 1), and resampled together.
        // Items are pooled only with items of the same weight (one benchmark's subjects inside an
        // AVG), so the pooled mean times the pooled weight is still their weighted sum.
        let singles = pairs.filter { $0.0.count == 1 }
        if singles.count > 1 {
            pairs = pairs.filter { $0.0.count > 1 }
            var order: [Double] = [], groups: [Double: [Double]] = [:]
            for (d, ws) in singles {
                if groups[ws] == nil { order.append(ws) }
                groups[ws, default: []].append(d[0])
            }
            for ws in order { pairs.append((groups[ws]!, ws * Double(groups[ws]!.count))) }
        }
        let used = pairs.map(\.0), w = pairs.map(\.1)
        guard !used.isEmpty, resamples > 0 else { return nil }
        let observed = zip(used, w).reduce(0.0) { $0 + $1.1 * $1.0.reduce(0, +) / Double($1.0.count) }
        var rng = SplitMix64(seed: seed)
        var replicates = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var stat = 0.0
            for (d, ws) in zip(used, w) {
                let n = d.count
                var sum = 0.0
                for _ in 0..<n { sum += d[Int(rng.next() % UInt64(n))] }
                stat += ws * sum / Double(n)
            }
            replicates[r] = stat
        }
        replicates.sort()
        func quantile(_ q: Double) -> Double {
            // Type-7 quantile (linear between order statistics), as numpy's default.
            let h = q * Double(resamples - 1)
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, resamples - 1)
            return replicates[lo] + (h - Double(lo)) * (replicates[hi] - replicates[lo])
        }
        let tail = (1 - confidence) / 2
        let atOrBelow = Double(replicates.filter { $0 <= 0 }.count) / Double(resamples)
        let atOrAbove = Double(replicates.filter { $0 >= 0 }.count) / Double(resamples)
        return PairedDifference(difference: observed, low: quantile(tail), high: quantile(1 - tail),
                                pValue: min(1, 2 * min(atOrBelow, atOrAbove)), n: used.reduce(0) { $0 + $1.count },
                                resamples: resamples, seed: seed, confidence: confidence)
    }
}
