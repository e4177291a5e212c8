import Foundation
import Engine

/// A small, self-contained (μ/μ_w, λ)-CMA-ES following Hansen's tutorial ("The CMA Evolution Strategy:
/// A Tutorial", arXiv:1604.00772, Table 1 defaults), with an ask/tell interface, box bounds and a
/// seeded generator (same seed ⇒ same samples).
///
/// Bounds are handled by repair: a sample outside the box is clipped onto it, and the clipped point is
/// both evaluated and used in the update (Lamarckian repair), so the mean stays in the box.
public struct CMAES: Sendable {
    public let dimension: Int
    public let lambda: Int
    public let mu: Int
    public let lower: Double, upper: Double
    public private(set) var mean: [Double]
    public private(set) var sigma: Double
    public private(set) var generation = 0
    let weights: [Double]
    let muEff: Double
    let cSigma: Double, dSigma: Double, cC: Double, c1: Double, cMu: Double, chiN: Double
    var pSigma: [Double], pC: [Double]
    /// Covariance C = B diag(D²) Bᵀ, row-major n×n.
    var c: [Double], b: [Double], d: [Double]
    var rng: SplitMix64

    /// `initialMean` inside the bounds, `initialSigma` the step size (Hansen: ~0.3 × the search range).
    public init(initialMean: [Double], initialSigma: Double, lower: Double, upper: Double, seed: UInt64, populationSize: Int? = nil) {
        let n = initialMean.count
        precondition(n > 0 && initialSigma > 0 && lower < upper, "CMAES: invalid dimension, sigma or bounds")
        dimension = n
        let lam = populationSize ?? (4 + Int(3 * Foundation.log(Double(n))))
        lambda = lam
        mu = lam / 2
        var w = (0..<(lam / 2)).map { Foundation.log(Double(lam + 1) / 2) - Foundation.log(Double($0 + 1)) }
        let sw = w.reduce(0, +)
        w = w.map { $0 / sw }
        weights = w
        muEff = 1 / w.reduce(0) { $0 + $1 * $1 }
        let nn = Double(n)
        cSigma = (muEff + 2) / (nn + muEff + 5)
        dSigma = 1 + 2 * max(0, ((muEff - 1) / (nn + 1)).squareRoot() - 1) + cSigma
        cC = (4 + muEff / nn) / (nn + 4 + 2 * muEff / nn)
        c1 = 2 / ((nn + 1.3) * (nn + 1.3) + muEff)
        cMu = min(1 - c1, 2 * (muEff - 2 + 1 / muEff) / ((nn + 2) * (nn + 2) + muEff))
        chiN = nn.squareRoot() * (1 - 1 / (4 * nn) + 1 / (21 * nn * nn))
        self.lower = lower; self.upper = upper
        let (lo, hi) = (lower, upper)
        mean = initialMean.map { min(max($0, lo), hi) }
        sigma = initialSigma
        pSigma = [Double](repeating: 0, count: n); pC = pSigma
        c = (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }
        b = c; d = [Double](repeating: 1, count: n)
        rng = SplitMix64(seed: seed)
    }

    /// λ new candidate points (already repaired into the bounds).
    public mutating func ask() -> [[Double]] {
        let n = dimension
        return (0..<lambda).map { _ in
            let z = (0..<n).map { _ in rng.nextNormal() }
            var x = mean
            for i in 0..<n {
                var s = 0.0
                for j in 0..<n { s += b[i * n + j] * d[j] * z[j] }
                x[i] = min(max(x[i] + sigma * s, lower), upper)
            }
            return x
        }
    }

    /// Updates mean, evolution paths, covariance and step size from evaluated candidates (lower is better).
    /// Needs at least μ candidates.
    public mutating func tell(_ candidates: [[Double]], _ values: [Double]) {
        precondition(candidates.count == values.count && candidates.count >= mu, "CMAES.tell: need at least μ = \(mu) evaluated candidates")
        let n = dimension
        let order = values.indices.sorted { values[$0] < values[$1] }
        let old = mean
        // y_k = (x_k − m) / σ for the μ best.
        let ys = order.prefix(mu).map { k in (0..<n).map { (candidates[k][$0] - old[$0]) / sigma } }
        var yw = [Double](repeating: 0, count: n)
        for (wk, y) in zip(weights, ys) { for i in 0..<n { yw[i] += wk * y[i] } }
        for i in 0..<n { mean[i] = min(max(old[i] + sigma * yw[i], lower), upper) }
        // C^{-1/2} yw = B D^{-1} Bᵀ yw.
        var bty = [Double](repeating: 0, count: n)
        for j in 0..<n { var s = 0.0; for i in 0..<n { s += b[i * n + j] * yw[i] }; bty[j] = s / d[j] }
        var invSqrtY = [Double](repeating: 0, count: n)
        for i in 0..<n { var s = 0.0; for j in 0..<n { s += b[i * n + j] * bty[j] }; invSqrtY[i] = s }
        let cs = (cSigma * (2 - cSigma) * muEff).squareRoot()
        for i in 0..<n { pSigma[i] = (1 - cSigma) * pSigma[i] + cs * invSqrtY[i] }
        let psNorm = pSigma.reduce(0) { $0 + $1 * $1 }.squareRoot()
        generation += 1
        let hSigma: Double = psNorm / (1 - Foundation.pow(1 - cSigma, Double(2 * generation))).squareRoot() < (1.4 + 2 / (Double(n) + 1)) * chiN ? 1 : 0
        let cc = (cC * (2 - cC) * muEff).squareRoot()
        for i in 0..<n { pC[i] = (1 - cC) * pC[i] + hSigma * cc * yw[i] }
        let deltaH = (1 - hSigma) * cC * (2 - cC)
        for i in 0..<n {
            for j in 0..<n {
                var rankMu = 0.0
                for (wk, y) in zip(weights, ys) { rankMu += wk * y[i] * y[j] }
                c[i * n + j] = (1 - c1 - cMu) * c[i * n + j] + c1 * (pC[i] * pC[j] + deltaH * c[i * n + j]) + cMu * rankMu
            }
        }
        sigma *= Foundation.exp((cSigma / dSigma) * (psNorm / chiN - 1))
        (b, d) = Self.eigen(c, n)
    }

    /// Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: returns B (columns are
    /// eigenvectors) and D = sqrt(max(eigenvalue, tiny)).
    static func eigen(_ m: [Double], _ n: Int) -> ([Double], [Double]) {
        var a = m
        var v = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
        for _ in 0..<60 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { off += a[i * n + j] * a[i * n + j] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(n, p + 1) where abs(a[p * n + q]) > 1e-300 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let cs = 1 / (t * t + 1).squareRoot(), sn = t * cs
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = cs * akp - sn * akq; a[k * n + q] = sn * akp + cs * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = cs * apk - sn * aqk; a[q * n + k] = sn * apk + cs * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = cs * vkp - sn * vkq; v[k * n + q] = sn * vkp + cs * vkq
                    }
                }
            }
        }
        let d = (0..<n).map { max(a[$0 * n + $0], 1e-20).squareRoot() }
        return (v, d)
    }
}
