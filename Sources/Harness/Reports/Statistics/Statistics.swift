// Standard errors of the accuracies the tables print. One evaluation is a sample of items, so a
// cell's accuracy has a sampling error even with one seed:
//   one subset:        SE = √(p(1−p)/n)                                   (binomial)
//   several subsets:   SE = √(Σ_s w_s² · p_s(1−p_s)/n_s)                  (stratified; macro w_s = 1/S,
//                                                                          micro w_s = n_s/N)
//                      a subset of one item (a profile's eval_limit of 1) has p_s(1−p_s) = 0 whatever
//                      its outcome, so such subsets use the benchmark's mean p instead of p_s
//   an AVG of J columns: SE = √(Σ_j SE_j²) / J                           (benchmarks are disjoint item sets)
// Across seeds a cell reports the mean, the sample sd (n − 1) and every seed's own value.
import Foundation

/// One accuracy (a fraction in [0, 1]) with its item count and standard error; the standard
/// error is nil when the run kept no per-item data to compute it from.
public struct Estimate: Equatable, Sendable {
    public var value: Double
    public var n: Int
    public var standardError: Double?
    public init(value: Double, n: Int, standardError: Double?) { self.value = value; self.n = n; self.standardError = standardError }
}

/// How a benchmark's headline number averages its subsets (the evaluator's `aggregation`).
public enum SubsetWeighting: String, Sendable {
    /// Every item weighs the same.
    case micro
    /// Every subset weighs the same.
    case macro

    /// The weighting recorded in a metric's settings JSON; micro when none is recorded.
    public init(settings: JSONValue) { self = settings["aggregation"]?.stringValue == "macro" ? .macro : .micro }
}

/// Correct count and item count of one subset (subject, task, language).
public struct SubsetTally: Equatable, Sendable {
    public var correct: Int
    public var n: Int
    public init(correct: Int, n: Int) { self.correct = correct; self.n = n }
    public var accuracy: Double { n == 0 ? 0 : Double(correct) / Double(n) }
}

public enum Statistics {
    /// √(p(1−p)/n); nil for n = 0.
    public static func binomialStandardError(p: Double, n: Int) -> Double? {
        guard n > 0 else { return nil }
        return (p * (1 - p) / Double(n)).squareRoot()
    }

    /// Each subset's weight in the headline average: 1/S (macro) or n_s/N (micro).
    public static func weights(_ subsets: [SubsetTally], weighting: SubsetWeighting) -> [Double] {
        let used = subsets.filter { $0.n > 0 }
        let total = used.reduce(0) { $0 + $1.n }
        return subsets.map { s in
            guard s.n > 0 else { return 0 }
            return weighting == .macro ? 1 / Double(used.count) : Double(s.n) / Double(total)
        }
    }

    /// The weighted mean of the subsets' accuracies and its stratified standard error.
    public static func estimate(_ subsets: [SubsetTally], weighting: SubsetWeighting) -> Estimate? {
        let w = weights(subsets, weighting: weighting)
        let n = subsets.reduce(0) { $0 + $1.n }
        guard n > 0 else { return nil }
        var mean = 0.0, variance = 0.0
        for (s, ws) in zip(subsets, w) where s.n > 0 { mean += ws * s.accuracy }
        for (s, ws) in zip(subsets, w) where s.n > 0 {
            let p = s.n < 2 ? mean : s.accuracy
            variance += ws * ws * p * (1 - p) / Double(s.n)
        }
        return Estimate(value: mean, n: n, standardError: variance.squareRoot())
    }

    /// An unweighted average of disjoint estimates (the tables' AVG columns): √(Σ SE²)/J, nil if any part lacks one.
    public static func average(_ parts: [Estimate]) -> Estimate? {
        guard !parts.isEmpty else { return nil }
        let j = Double(parts.count)
        let value = parts.reduce(0) { $0 + $1.value } / j
        let ses = parts.compactMap(\.standardError)
        let se: Double? = ses.count == parts.count ? (ses.reduce(0) { $0 + $1 * $1 }).squareRoot() / j : nil
        return Estimate(value: value, n: parts.reduce(0) { $0 + $1.n }, standardError: se)
    }

    public static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

    /// Sample standard deviation (n − 1 in the denominator); nil with fewer than two values.
    public static func sampleStandardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count > 1, let m = mean(xs) else { return nil }
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Φ⁻¹(p) for the normal quantiles of the power analysis (Acklam's rational approximation,
    /// relative error < 1.2e-9; Foundation has no inverse normal CDF).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normalQuantile needs 0 < p < 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0]*q+c[1])*q+c[2])*q+c[3])*q+c[4])*q+c[5]) / ((((d[0]*q+d[1])*q+d[2])*q+d[3])*q+1)
        }
        if p > 1 - low { return -normalQuantile(1 - p) }
        let q = p - 0.5, r = q * q
        return (((((a[0]*r+a[1])*r+a[2])*r+a[3])*r+a[4])*r+a[5])*q / (((((b[0]*r+b[1])*r+b[2])*r+b[3])*r+b[4])*r+1)
    }
}
