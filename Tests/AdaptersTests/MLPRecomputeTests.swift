import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// Recomputing gate/up in the backward pass (`recomputeMLP`) trades memory for compute only: the
/// loss and every adapter gradient must equal those of the run that saved them — with adapters on
/// gate and up themselves (whose forward is re-run in the backward pass) and with dropout, whose
/// masks the re-run must reproduce.
final class MLPRecomputeTests: XCTestCase {
    func gradients(_ adapter: TrainableAdapter, model: LanguageModel, batch: TokenBatch,
                   recompute: Bool) throws -> (loss: Double, grads: [String: [Float]], bytes: Int) {
        model.decoder.adapter = adapter
        defer { model.decoder.adapter = nil }
        let acts = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen,
                                      saveForBackward: true, recomputeMLP: recompute)
        XCTAssertEqual(acts.recomputesMLP, recompute)
        adapter.zeroGradients()
        let loss = try model.decoder.lossAndGradients(batch, acts).meanNLL
        var grads: [String: [Float]] = [:]
        for (name, _, grad) in adapter.namedParameters { grads[name] = grad.array }
        return (loss, grads, acts.byteCount)
    }

    func assertIdentical(_ adapter: TrainableAdapter, model: LanguageModel, groups: [Int] = [0, 1, 2, 0],
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let batch = endToEndBatch(groups: groups)
        let saved = try gradients(adapter, model: model, batch: batch, recompute: false)
        let recomputed = try gradients(adapter, model: model, batch: batch, recompute: true)
        XCTAssertEqual(saved.loss, recomputed.loss, file: file, line: line)
        XCTAssertEqual(saved.grads.keys.sorted(), recomputed.grads.keys.sorted(), file: file, line: line)
        var nonZero = 0
        for (name, g) in saved.grads {
            XCTAssertEqual(g, recomputed.grads[name]!, "\(adapter.kind) \(name)", file: file, line: line)
            if g.contains(where: { $0 != 0 }) { nonZero += 1 }
        }
        XCTAssertGreaterThan(nonZero, 0, "every gradient is zero: the comparison would prove nothing", file: file, line: line)
        XCTAssertLessThan(recomputed.bytes, saved.bytes, "recomputing gate/up must hold fewer activation bytes", file: file, line: line)
    }

    func testLoRAOnEveryProjectionWithDropoutGivesIdenticalGradients() throws {
        let model = try tinyModel()
        let parameters = LoRAParameters(config: LoRAConfig(rank: 4, alpha: 8, targets: Projection.allCases, dropout: 0.1),
                                        model: model.config)
        let adapter = LoRAAdapter(parameters)
        randomise(adapter, std: 0.1, seed: 5)
        adapter.dropoutSeed = 77
        try assertIdentical(adapter, model: model, groups: [0, 0, 0, 0])
    }

    func testHydraLoRAOnGateAndUpGivesIdenticalGradients() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, targets: [.q, .gate, .up, .down], seed: 1)
        randomise(adapter, std: 0.1, seed: 6)
        try assertIdentical(adapter, model: model)
    }

    func testInferenceActivationsNeverRecompute() throws {
        let model = try tinyModel()
        let acts = DecoderActivations(config: model.config, batch: 1, seqLen: 8, saveForBackward: false, recomputeMLP: true)
        XCTAssertFalse(acts.recomputesMLP, "without a backward pass there is nothing to recompute")
    }
}
