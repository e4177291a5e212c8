import XCTest
import Engine
import Models
import Adapters
import Training
import TestSupport

/// One MeTA-LoRA iteration against fixtures/meta-lora step by step (Algorithm 1, Eq. 3–6):
/// every support gradient and θ_i after each SGD step, each task's query gradient, their mean,
/// the AdamW update, and the -STA ablation; for both the sequential and the batched loop.
final class MetaLoRAFixtureTests: XCTestCase {
    struct Fixture {
        let model: LanguageModel
        let theta: LoRAParameters
        let support: [TokenBatch]
        let query: [TokenBatch]
        let alpha: Double, beta: Double, steps: Int
        let meta: [String: Any]
    }

    func loadFixture() throws -> Fixture {
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let meta = try XCTUnwrap(Fixtures.json("meta-lora/meta.json") as? [String: Any])
        let hyper = try XCTUnwrap(meta["hyperparameters"] as? [String: Any])
        let lora = try XCTUnwrap(hyper["lora"] as? [String: Any])
        let config = LoRAConfig(rank: try XCTUnwrap(lora["rank"] as? Int), alpha: Float(try XCTUnwrap(lora["alpha"] as? Double)),
                                targets: [.q, .k, .v, .o])
        let theta = LoRAParameters(config: config, model: model.config)
        let stored = try Fixtures.safetensors("meta-lora/theta.safetensors")
        for p in theta.namedParameters { p.value.copy(from: try stored.tensor(p.name)) }
        let data = try Fixtures.safetensors("meta-lora/data.safetensors")
        func batch(_ prefix: String) throws -> TokenBatch {
            let shape = try data.shape("\(prefix).input_ids")
            func rows(_ key: String) throws -> [[Int]] {
                let flat = try data.ints("\(prefix).\(key)")
                return (0..<shape[0]).map { Array(flat[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
            }
            return TokenBatch(inputIds: try rows("input_ids"), attentionMask: try rows("attention_mask"), labels: try rows("labels"))
        }
        let outer = try XCTUnwrap(hyper["outer_optimizer"] as? [String: Any])
        XCTAssertEqual(outer["weight_decay"] as? Double, 0)
        return Fixture(model: model, theta: theta,
                       support: [try batch("task0.support"), try batch("task1.support")],
                       query: [try batch("task0.query"), try batch("task1.query")],
                       alpha: try XCTUnwrap(hyper["alpha_inner_lr"] as? Double),
                       beta: try XCTUnwrap(hyper["beta_outer_lr"] as? Double),
                       steps: try XCTUnwrap(hyper["k_inner_steps"] as? Int), meta: meta)
    }

    /// Runs one iteration and checks every intermediate against the stored references.
    func checkIteration(loop: MetaLoRALoop, sta: Bool) throws {
        let f = try loadFixture()
        let inner = try Fixtures.safetensors("meta-lora/inner.safetensors")
        let queryGrads = try Fixtures.safetensors("meta-lora/query_grads.safetensors")
        let update = try Fixtures.safetensors(sta ? "meta-lora/sta.safetensors" : "meta-lora/update.safetensors")
        let step = MetaLoRAStep(decoder: f.model.decoder, theta: f.theta, tasksPerIteration: 2,
                                adaptationSteps: sta ? 0 : f.steps, alpha: f.alpha, beta: f.beta, loop: loop)
        var observedSteps = 0, observedQueries = 0
        var worstGrad: Float = 0, worstTheta: Float = 0, worstQuery: Float = 0
        step.observer.adaptationStep = { task, s, copy in
            observedSteps += 1
            for p in copy.namedParameters {
                let g = try! inner.floats("task\(task).support_grad\(s).\(p.name)")
                let t = try! inner.floats("task\(task).theta_step\(s).\(p.name)")
                worstGrad = max(worstGrad, maxAbsDiff(p.grad.array, g))
                worstTheta = max(worstTheta, maxAbsDiff(p.value.array, t))
                assertClose(p.grad.array, g, atol: 1e-6, "\(loop) task\(task) support_grad\(s) \(p.name)")
                assertClose(p.value.array, t, atol: 1e-7, "\(loop) task\(task) theta_step\(s) \(p.name)")
            }
        }
        step.observer.queryGradient = { task, copy in
            observedQueries += 1
            for p in copy.namedParameters {
                let key = sta ? "task\(task).query_grad.\(p.name)" : "task\(task).\(p.name)"
                let g = try! (sta ? update : queryGrads).floats(key)
                worstQuery = max(worstQuery, maxAbsDiff(p.grad.array, g))
                assertClose(p.grad.array, g, atol: 1e-6, "\(loop) task\(task) query grad \(p.name)")
            }
        }
        var meanGradients: [String: [Float]] = [:]
        step.observer.metaGradient = { theta in
            for p in theta.namedParameters {
                meanGradients[p.name] = p.grad.array
                let g = try! (sta ? update : queryGrads).floats("mean.\(p.name)")
                assertClose(p.grad.array, g, atol: 1e-7, "\(loop) mean grad \(p.name)")
            }
        }
        let stats = try step.iterate(supportBatches: f.support, queryBatches: f.query)
        XCTAssertEqual(observedSteps, sta ? 0 : 2 * f.steps)
        XCTAssertEqual(observedQueries, 2)

        // End to end θ after AdamW, where the update is well conditioned (|g| ≥ 1e-5, fixtures README).
        var worstUpdate: Float = 0
        for p in f.theta.namedParameters {
            let expected = try update.floats("param.\(p.name)")
            let g = try (sta ? update : queryGrads).floats("mean.\(p.name)")
            let actual = p.value.array
            for i in actual.indices where abs(g[i]) >= 1e-5 {
                worstUpdate = max(worstUpdate, abs(actual[i] - expected[i]))
            }
        }
        XCTAssertLessThan(worstUpdate, 1e-7, "\(loop) θ after the meta-update")
        print("meta-lora fixture (\(loop), \(sta ? "-STA" : "MeTA-LoRA")): max |Δ| support grads \(worstGrad), θ_i \(worstTheta), query grads \(worstQuery), θ after update (|g| ≥ 1e-5) \(worstUpdate)")

        // Losses (meta.json) — the sequential loop reports each task's own query loss.
        let losses = try XCTUnwrap(f.meta["losses"] as? [String: Any])
        let queryKey = sta ? "query_loss_at_theta_sta" : "query_loss_at_adapted"
        let expectedQuery = try XCTUnwrap(losses[queryKey] as? [String: Double])
        if loop == .sequential {
            XCTAssertEqual(stats.taskQueryLosses[0], expectedQuery["task0"]!, accuracy: 1e-6)
            XCTAssertEqual(stats.taskQueryLosses[1], expectedQuery["task1"]!, accuracy: 1e-6)
        }
        if !sta {
            // Support loss at θ before the first step, token mean over both tasks (28 + 24 labelled tokens).
            let before = try XCTUnwrap(losses["support_loss_before_step"] as? [String: [Double]])
            let counts = f.support.map { Double($0.targetCount) }
            let combined = (before["task0"]![0] * counts[0] + before["task1"]![0] * counts[1]) / (counts[0] + counts[1])
            XCTAssertEqual(stats.supportLosses[0], combined, accuracy: 1e-6)
            XCTAssertEqual(stats.samples, 2 * (f.steps * 4 + 4))
        } else {
            XCTAssertEqual(stats.samples, 2 * 4)
        }
    }

    func testMetaLoRASequentialMatchesFixture() throws { try checkIteration(loop: .sequential, sta: false) }
    func testMetaLoRABatchedMatchesFixture() throws { try checkIteration(loop: .batched, sta: false) }
    func testSTASequentialMatchesFixture() throws { try checkIteration(loop: .sequential, sta: true) }
    func testSTABatchedMatchesFixture() throws { try checkIteration(loop: .batched, sta: true) }

    /// The AdamW meta-update from the stored mean gradient, checked tightly (fixtures README).
    func testMetaUpdateFromStoredMeanGradient() throws {
        for (file, gradients, prefix) in [("meta-lora/update.safetensors", "meta-lora/query_grads.safetensors", "mean."),
                                          ("meta-lora/sta.safetensors", "meta-lora/sta.safetensors", "mean.")] {
            let f = try loadFixture()
            let step = MetaLoRAStep(decoder: f.model.decoder, theta: f.theta, tasksPerIteration: 2, adaptationSteps: 0,
                                    alpha: f.alpha, beta: f.beta)
            let reference = try Fixtures.safetensors(file)
            let grads = try Fixtures.safetensors(gradients)
            for p in f.theta.namedParameters { p.grad.copy(from: try grads.tensor(prefix + p.name)) }
            step.optimizer.step()
            let moments = step.optimizer.stateTensors()
            for p in f.theta.namedParameters {
                assertClose(p.value.array, try reference.floats("param.\(p.name)"), atol: 1e-7, "\(file) param \(p.name)")
                assertClose(moments["exp_avg.\(p.name)"]!.array, try reference.floats("exp_avg.\(p.name)"), atol: 1e-7, "exp_avg \(p.name)")
                assertClose(moments["exp_avg_sq.\(p.name)"]!.array, try reference.floats("exp_avg_sq.\(p.name)"), atol: 1e-12, rtol: 1e-5,
                            "exp_avg_sq \(p.name)")
            }
        }
    }

    /// Batched and sequential loops give the same meta-gradients and θ over several iterations,
    /// to float32 noise. θ is compared loosely: AdamW's first steps move an element by ≈ β·g/(|g|+ε)
    /// whatever its size, so elements with |g| near 1e-8 amplify float noise (fixtures README).
    func testBatchedEqualsSequential() throws {
        var thetas: [[Float]] = []
        var gradients: [[[Float]]] = []
        for loop in [MetaLoRALoop.sequential, .batched] {
            let f = try loadFixture()
            let step = MetaLoRAStep(decoder: f.model.decoder, theta: f.theta, tasksPerIteration: 2, adaptationSteps: 3,
                                    alpha: 0.05, beta: 1e-3, loop: loop)
            var perIteration: [[Float]] = []
            step.observer.metaGradient = { theta in perIteration.append(theta.namedParameters.flatMap(\.grad.array)) }
            // A shorter query batch for task 1 exercises the padding of the concatenated batch.
            let trimmed = TokenBatch(batch: 4, seqLen: 8,
                                     ids: (0..<4).flatMap { Array(f.query[1].ids[($0 * 10)..<($0 * 10 + 8)]) },
                                     mask: (0..<4).flatMap { Array(f.query[1].mask[($0 * 10)..<($0 * 10 + 8)]) },
                                     targets: (0..<4).flatMap { b in (0..<8).map { t in t == 7 ? -100 : f.query[1].targets[b * 10 + t] } },
                                     sequenceGroups: [0, 0, 0, 0])
            for _ in 0..<3 { try step.iterate(supportBatches: f.support, queryBatches: [f.query[0], trimmed]) }
            thetas.append(f.theta.namedParameters.flatMap(\.value.array))
            gradients.append(perIteration)
        }
        var worstGradient: Float = 0
        for (a, b) in zip(gradients[0], gradients[1]) { worstGradient = max(worstGradient, maxAbsDiff(a, b)) }
        let thetaDiff = maxAbsDiff(thetas[0], thetas[1])
        print("batched vs sequential over 3 iterations: max |Δ meta-gradient| = \(worstGradient), max |Δθ| = \(thetaDiff)")
        XCTAssertEqual(gradients[1].count, 3)
        XCTAssertLessThan(worstGradient, 1e-7)
        XCTAssertLessThan(thetaDiff, 1e-5)
    }
}
