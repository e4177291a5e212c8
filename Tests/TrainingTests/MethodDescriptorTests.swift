import XCTest
import Engine
import Models
import Adapters
import Training

/// The descriptors: one name per key, resolved defaults per method with their sources, the
/// adapter kinds they save, and Algorithm 1's loss normalisation.
final class MethodDescriptorTests: XCTestCase {
    func testEveryKeyIsAFieldOfTheSameName() {
        let fields = Set(Mirror(reflecting: TrainingHyperParameters()).children.compactMap(\.label))
        for p in MethodCatalog.standard.allParameters {
            XCTAssertTrue(fields.contains(p.fieldName), "key \(p.key) has no field \(p.fieldName)")
            XCTAssertEqual(p.flag, "--" + p.key.replacingOccurrences(of: "_", with: "-"))
        }
    }

    func testEverySavedKindHasALoader() {
        for d in MethodCatalog.standard.descriptors {
            if let kind = d.savedKind { XCTAssertNotNil(AdapterFiles.loaders[kind], "\(d.name) saves '\(kind)'") }
        }
    }

    func testResolvedDefaultsPerMethod() throws {
        let hydra = try HydraLoRAMethod.descriptor.resolve([:], budgetPerTask: nil)
        XCTAssertEqual(hydra.rank, 4); XCTAssertEqual(hydra.loraAlpha, 32); XCTAssertEqual(hydra.targets, [.gate, .down, .up])
        XCTAssertEqual(hydra.lrScheduler, "cosine"); XCTAssertEqual(hydra.warmupRatio, 0.03); XCTAssertEqual(hydra.batchSize, 8)
        XCTAssertNil(hydra.loraNums); XCTAssertEqual(hydra.epochs, 1); XCTAssertEqual(hydra.maxSeqLen, 1024)
        let rlora = try RLoRAMethod.descriptor.resolve([:], budgetPerTask: nil)
        XCTAssertEqual(rlora.rank, 4); XCTAssertEqual(rlora.headDropout, 0.1, accuracy: 1e-7); XCTAssertEqual(rlora.batchSize, 96)
        XCTAssertEqual(rlora.heads, 5); XCTAssertEqual(rlora.stableGamma, 64); XCTAssertEqual(rlora.maxSeqLen, 512)
        let moe = try LoRAMoEMethod.descriptor.resolve([:], budgetPerTask: nil)
        XCTAssertEqual(moe.experts, 8); XCTAssertEqual(moe.rank, 16); XCTAssertEqual(moe.targets.count, 7)
        let hub = try LoRAHubMethod.descriptor.resolve([:], budgetPerTask: 50)
        XCTAssertEqual(hub.dropout, 0.1, accuracy: 1e-7); XCTAssertEqual(hub.searchLoss, "per_example"); XCTAssertEqual(hub.epochs, 5)
        let meta = try MetaLoRAMethod.descriptor.resolve([:], budgetPerTask: 50)
        XCTAssertEqual(meta.lossNormalization, "example_mean"); XCTAssertEqual(meta.iterations, 1000); XCTAssertEqual(meta.alpha, 5e-6)
        XCTAssertEqual(try STAMethod.descriptor.resolve([:], budgetPerTask: 50).adaptationSteps, 0)
        // Every baseline default with an authors' value cites a file and line.
        for d in [HydraLoRAMethod.descriptor, RLoRAMethod.descriptor, LoRAMoEMethod.descriptor, LoRAHubMethod.descriptor] {
            for p in d.hyperParameters { if let a = p.authors { XCTAssertTrue(a.source.contains(":"), "\(d.name).\(p.key): \(a.source)") } }
        }
    }

    func testSchemaRangesRejectBadValues() {
        let d = MetaLoRAMethod.descriptor
        XCTAssertThrowsError(try d.resolve(["iterations": .int(0)], budgetPerTask: 50))
        XCTAssertThrowsError(try d.resolve(["rank": .int(0)], budgetPerTask: 50))
        XCTAssertThrowsError(try d.resolve(["beta": .number(.nan)], budgetPerTask: 50))
        XCTAssertThrowsError(try d.resolve(["n_loras": .int(3)], budgetPerTask: 50)) { XCTAssertTrue("\($0)".contains("no hyper-parameter 'n_loras'")) }
        XCTAssertThrowsError(try LoRAMethod.descriptor.resolve(["batch_size": .int(0)], budgetPerTask: 50))
        XCTAssertThrowsError(try HydraLoRAMethod.descriptor.resolve(["dropout": .number(0.05)], budgetPerTask: 50))
    }

    /// Eq. 4 as written: the example-mean gradient equals the average of each example's own
    /// token-mean gradient, computed one sequence at a time; the token mean differs when the
    /// examples' answer lengths differ.
    func testExampleMeanLossIsTheMeanOfPerExampleTokenMeans() throws {
        let model = try SyntheticTasks.tinyModel()
        let config = LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v], dropout: 0)
        let p = LoRAParameters(config: config, model: model.decoder.config)
        var rng = SplitMix64(seed: 3)
        p.initialiseLikePEFT(rng: &rng)
        for (_, v, _) in p.namedParameters { for i in 0..<v.count { v.data[i] = Float(rng.nextUniform() - 0.5) * 0.2 } }
        model.decoder.adapter = LoRAAdapter(p)
        let plans = ActivationPlans(config: model.decoder.config)
        let ids = [[1, 5, 9, 12, 7, 3], [1, 8, 4, 2, 6, 11]]
        let labels = [[-100, -100, 9, 12, 7, 3], [-100, -100, -100, -100, 6, 11]]
        let batch = TokenBatch(inputIds: ids, labels: labels)
        func grads() -> [Float] { p.namedParameters.flatMap { Array(UnsafeBufferPointer(start: $0.grad.data, count: $0.grad.count)) } }

        p.zeroGradients()
        let (weights, examples) = BatchAssembly.exampleMeanWeights(batch, groups: 1)
        XCTAssertEqual(examples, [2])
        let weighted = try model.decoder.lossAndGradients(batch, plans.activations(for: batch, backward: true),
                                                          gradScale: 0.5, sequenceWeights: weights)
        let exampleMean = grads()

        var perExample = [Float](repeating: 0, count: exampleMean.count), losses: [Double] = []
        for b in 0..<2 {
            p.zeroGradients()
            let one = TokenBatch(inputIds: [ids[b]], labels: [labels[b]])
            losses.append(try model.decoder.lossAndGradients(one, plans.activations(for: one, backward: true)).meanNLL)
            for (i, g) in grads().enumerated() { perExample[i] += g / 2 }
        }
        XCTAssertEqual(weighted.sumNLL / 2, (losses[0] + losses[1]) / 2, accuracy: 1e-5)
        for (a, b) in zip(exampleMean, perExample) { XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-3 * abs(b)) }

        p.zeroGradients()
        _ = try model.decoder.lossAndGradients(batch, plans.activations(for: batch, backward: true))
        let tokenMean = grads()
        XCTAssertGreaterThan(zip(tokenMean, exampleMean).map { abs($0 - $1) }.max() ?? 0, 1e-6, "token mean must differ for unequal lengths")
    }
}
