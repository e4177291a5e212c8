import XCTest
import Engine
import Models
import Adapters
import TestSupport

final class LoRAHubTests: XCTestCase {
    /// A = Σ w_k A_k and B = Σ w_k B_k separately (so ΔW = B A, which is not Σ w_k B_k A_k).
    func testCompositionCombinesAAndBSeparately() throws {
        let model = try LlamaConfig(huggingFaceConfig: Fixtures.require("tiny-llama/config.json"))
        let config = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v])
        var rng = SplitMix64(seed: 7)
        let upstream = (0..<3).map { _ -> LoRAParameters in
            let p = LoRAParameters(config: config, model: model)
            for (_, v, _) in p.namedParameters { for i in 0..<v.count { v.data[i] = Float(rng.nextNormal()) } }
            return p
        }
        let w: [Float] = [0.5, -1.25, 1.5]
        let composed = LoRAHub.compose(upstream: upstream, weights: w, model: model)
        XCTAssertEqual(composed.config, config)
        for (index, (name, value, _)) in composed.namedParameters.enumerated() {
            let expected = (0..<value.count).map { i in (0..<3).reduce(Float(0)) { $0 + w[$1] * upstream[$1].namedParameters[index].value.data[i] } }
            assertClose(value.array, expected, atol: 1e-6, name)
        }
        // ΔW = B A of the composition differs from the weighted sum of the modules' ΔW.
        let site = composed.sites[0]
        let (out, inp) = site.projection.shape(model)
        func product(_ b: Tensor, _ a: Tensor) -> [Float] {
            let c = Tensor(shape: [out, inp])
            BLAS.sgemm(m: out, n: inp, k: 2, a: b.data, lda: 2, b: a.data, ldb: inp, beta: 0, c: c.data, ldc: inp)
            return c.array
        }
        let composedDelta = product(composed.b[site]!, composed.a[site]!)
        var summed = [Float](repeating: 0, count: out * inp)
        for (k, u) in upstream.enumerated() { for (i, v) in product(u.b[site]!, u.a[site]!).enumerated() { summed[i] += w[k] * v } }
        XCTAssertGreaterThan(maxAbsDiff(composedDelta, summed), 1e-2)
        // In-place composition into an existing set gives the same values.
        let target = LoRAParameters(config: config, model: model)
        LoRAHub.compose(upstream: upstream, weights: w, into: target)
        for (x, y) in zip(target.namedParameters, composed.namedParameters) { XCTAssertEqual(x.value.array, y.value.array) }
    }

    func quadratic(_ c: [Float]) -> ([Float]) -> Double {
        { w in zip(w, c).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } }
    }

    func centre(_ k: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<k).map { _ in Float(rng.nextUniform() * 2 - 1) }
    }

    /// Within LoRAHub's budget of 40 evaluations: exactly 40 evaluations, the first at w = 0, all inside
    /// the bounds, and a clear improvement on convex objectives for K = 5…20 (mean over 10 seeds of
    /// best / f(0); 40 evaluations cannot pin down 20 weights, so the bar is lower for larger K).
    func testBudgetOf40ImprovesAConvexObjective() {
        for (k, bar) in [(5, 0.35), (10, 0.5), (20, 0.7)] {
            var ratios: [Double] = []
            for seed in 0..<10 as Range<UInt64> {
                let f = quadratic(centre(k, seed: 1000 + seed))
                let result = LoRAHub.search(upstreamCount: k, budget: 40, l1: 0, seed: seed, objective: f)
                XCTAssertEqual(result.history.count, 40)
                XCTAssertEqual(result.history[0].weights, [Float](repeating: 0, count: k))
                for e in result.history { XCTAssertTrue(e.weights.allSatisfy { $0 >= -1.5 && $0 <= 1.5 }) }
                XCTAssertEqual(result.bestObjective, result.history.map(\.value).min()!)
                ratios.append(result.bestObjective / f([Float](repeating: 0, count: k)))
            }
            let mean = ratios.reduce(0, +) / Double(ratios.count)
            print("LoRAHub K=\(k) budget 40: mean best/f(0) \(mean), worst \(ratios.max()!)")
            XCTAssertLessThan(mean, bar, "K=\(k)")
            XCTAssertLessThan(ratios.max()!, 1, "K=\(k): some search made no progress")
        }
    }

    /// With a larger budget the same search converges to the minimiser (the CMA-ES itself is sound).
    func testFindsTheMinimumOfAConvexFunction() {
        for (k, budget) in [(5, 40), (5, 300), (10, 600), (20, 1500)] {
            let c = centre(k, seed: 100 + UInt64(k))
            let result = LoRAHub.search(upstreamCount: k, budget: budget, l1: 0, seed: 3, objective: quadratic(c))
            print("LoRAHub K=\(k) budget \(budget): best \(result.bestObjective), max |w - c| \(maxAbsDiff(result.weights, c))")
            if budget > 40 {
                XCTAssertLessThan(result.bestObjective, 1e-3, "K=\(k)")
                XCTAssertLessThan(maxAbsDiff(result.weights, c), 0.05, "K=\(k)")
            }
        }
    }

    /// A minimiser outside the box is found on the boundary; the L1 term is added to every value.
    func testRespectsBoundsAndAddsL1Penalty() {
        let k = 5
        let c: [Float] = [3, -4, 0.5, 2, -0.25]
        let result = LoRAHub.search(upstreamCount: k, budget: 400, l1: 0, seed: 9, objective: quadratic(c))
        for e in result.history { XCTAssertTrue(e.weights.allSatisfy { $0 >= -1.5 && $0 <= 1.5 }) }
        let clipped = c.map { min(max($0, -1.5), 1.5) }
        XCTAssertLessThan(maxAbsDiff(result.weights, clipped), 0.05)
        let penalised = LoRAHub.search(upstreamCount: k, budget: 12, l1: 0.05, seed: 9) { _ in 1.0 }
        for e in penalised.history {
            XCTAssertEqual(e.value, 1 + 0.05 * e.weights.reduce(0.0) { $0 + Double(abs($1)) } / Double(k), accuracy: 1e-12)
        }
        XCTAssertEqual(penalised.bestObjective, 1.0, accuracy: 1e-12)  // w = 0 has no penalty
    }

    func testDeterministicBySeed() {
        let f = quadratic(centre(8, seed: 4))
        let a = LoRAHub.search(upstreamCount: 8, seed: 42, objective: f)
        let b = LoRAHub.search(upstreamCount: 8, seed: 42, objective: f)
        let c = LoRAHub.search(upstreamCount: 8, seed: 43, objective: f)
        XCTAssertEqual(a.history.map(\.weights), b.history.map(\.weights))
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertNotEqual(a.history.map(\.weights), c.history.map(\.weights))
    }
}
