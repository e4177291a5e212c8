import Foundation
import XCTest
import Harness

final class StatisticsTests: XCTestCase {
    func testBinomialStandardErrorByHand() throws {
        // p = 0.25, n = 171: √(0.25·0.75/171) = √0.00109649 = 0.0331133.
        XCTAssertEqual(try XCTUnwrap(Statistics.binomialStandardError(p: 0.25, n: 171)), 0.0331133, accuracy: 1e-6)
        XCTAssertNil(Statistics.binomialStandardError(p: 0.5, n: 0))
    }

    func testMacroAndMicroStandardErrorsByHand() throws {
        // Subsets 3/4 and 1/2. Macro: mean (0.75 + 0.5)/2 = 0.625;
        // var = ¼·(0.75·0.25/4) + ¼·(0.5·0.5/2) = ¼·0.046875 + ¼·0.125 = 0.04296875 → SE 0.207289.
        let s = [SubsetTally(correct: 3, n: 4), SubsetTally(correct: 1, n: 2)]
        let macro = try XCTUnwrap(Statistics.estimate(s, weighting: .macro))
        XCTAssertEqual(macro.value, 0.625, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(macro.standardError), 0.2072893, accuracy: 1e-6)
        XCTAssertEqual(macro.n, 6)
        // Micro: weights 4/6, 2/6; mean 4/6 = 0.666667;
        // var = (4/6)²·0.046875 + (2/6)²·0.125 = 0.0208333 + 0.0138889 = 0.0347222 → SE 0.186339.
        let micro = try XCTUnwrap(Statistics.estimate(s, weighting: .micro))
        XCTAssertEqual(micro.value, 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(micro.standardError), 0.1863390, accuracy: 1e-6)
        // One subset is the binomial SE.
        let one = try XCTUnwrap(Statistics.estimate([SubsetTally(correct: 43, n: 171)], weighting: .macro))
        XCTAssertEqual(try XCTUnwrap(one.standardError), try XCTUnwrap(Statistics.binomialStandardError(p: 43.0 / 171, n: 171)), accuracy: 1e-15)
    }

    func testAverageColumnAndSeeds() throws {
        // AVG of SEs 0.03 and 0.04: √(0.0009 + 0.0016)/2 = 0.025.
        let avg = try XCTUnwrap(Statistics.average([Estimate(value: 0.2, n: 10, standardError: 0.03), Estimate(value: 0.4, n: 20, standardError: 0.04)]))
        XCTAssertEqual(avg.value, 0.3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(avg.standardError), 0.025, accuracy: 1e-12)
        XCTAssertNil(Statistics.average([Estimate(value: 0.2, n: 10, standardError: 0.03), Estimate(value: 0.4, n: 20, standardError: nil)])?.standardError,
                     "a part without per-item data leaves the average without an SE")
        // Seeds 30, 32, 34: sd = √((4 + 0 + 4)/2) = 2.
        XCTAssertEqual(try XCTUnwrap(Statistics.sampleStandardDeviation([30, 32, 34])), 2, accuracy: 1e-12)
        XCTAssertNil(Statistics.sampleStandardDeviation([30]))
    }

    func testNormalQuantile() {
        XCTAssertEqual(Statistics.normalQuantile(0.975), 1.959964, accuracy: 1e-6)
        XCTAssertEqual(Statistics.normalQuantile(0.8), 0.841621, accuracy: 1e-6)
        XCTAssertEqual(Statistics.normalQuantile(0.01), -2.326348, accuracy: 1e-6)
    }

    /// Two Bernoulli columns over n items with b items where only A is right and c where only B is:
    /// Δ = (b − c)/n and Var(Δ̂) = [(b + c)/n − Δ²]/n (the bootstrap's plug-in variance). The
    /// percentile interval must approach Δ ± 1.96·SE and the p-value McNemar's normal approximation.
    func testPairedBootstrapAgainstDiscordantCountsClosedForm() throws {
        let n = 400, b = 60, c = 30
        var d = [Double](repeating: 0, count: n)
        for i in 0..<b { d[i] = 1 }
        for i in b..<(b + c) { d[i] = -1 }
        let r = try XCTUnwrap(PairedBootstrap.run(strata: [d], weighting: .micro))
        let delta = Double(b - c) / Double(n)
        let se = ((Double(b + c) / Double(n) - delta * delta) / Double(n)).squareRoot()   // 0.0229810
        XCTAssertEqual(r.difference, delta, accuracy: 1e-12)
        XCTAssertEqual(r.resamples, 10_000)
        XCTAssertEqual(r.low, delta - 1.959964 * se, accuracy: 0.1 * se)
        XCTAssertEqual(r.high, delta + 1.959964 * se, accuracy: 0.1 * se)
        // z = 0.075/0.02298 = 3.26 → two-sided p ≈ 0.0011; the bootstrap tail is of that order.
        XCTAssertLessThan(r.pValue, 0.01)
        // The same seed gives the same interval; equal columns give Δ = 0 and p = 1.
        XCTAssertEqual(PairedBootstrap.run(strata: [d], weighting: .micro), r)
        let same = try XCTUnwrap(PairedBootstrap.run(strata: [[Double](repeating: 0, count: 50)], weighting: .micro))
        XCTAssertEqual(same.difference, 0); XCTAssertEqual(same.pValue, 1)
    }

    func testPairedBootstrapIsStratifiedWithMacroWeights() throws {
        // Subset 1: all +1 (no variance); subset 2: all 0. Macro Δ = ½ in every replicate.
        let r = try XCTUnwrap(PairedBootstrap.run(strata: [[1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0]], weighting: .macro, resamples: 500))
        XCTAssertEqual(r.difference, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.low, 0.5, accuracy: 1e-12); XCTAssertEqual(r.high, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.n, 12)
    }

    func testMinimumDetectableDifferenceByHand() throws {
        // n = 171 items, p = 0.25: SE_Δ = √(2·0.25·0.75/171) = 0.0468293; MDD = 2.801585·0.0468293 = 0.131196.
        XCTAssertEqual(PowerAnalysis.zSum(), 2.801585, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(PowerAnalysis.pairedMDD(sizes: [171], p: 0.25, weighting: .micro)), 0.131196, accuracy: 1e-5)
        // Against chance: √(0.25·0.75/171) · 2.801585 = 0.092771.
        XCTAssertEqual(try XCTUnwrap(PowerAnalysis.oneSampleMDD(sizes: [171], p: 0.25, weighting: .micro)), 0.092771, accuracy: 1e-5)
        // Macro over two subsets of 3 and 12 at p = 0.5: var = ¼·2·0.25/3 + ¼·2·0.25/12 = 0.0416667 + 0.0104167 = 0.0520833.
        XCTAssertEqual(try XCTUnwrap(PowerAnalysis.pairedMDD(sizes: [3, 12], p: 0.5, weighting: .macro)), 2.801585 * 0.0520833.squareRoot(), accuracy: 1e-5)
        XCTAssertNil(PowerAnalysis.pairedMDD(sizes: [0], p: 0.5, weighting: .macro))
    }
}
