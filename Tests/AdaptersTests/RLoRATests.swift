import XCTest
import Engine
import Models
import Adapters
import TestSupport

final class RLoRATests: XCTestCase {
    func testLayerBackwardWithHeadDropoutMatchesFiniteDifferences() {
        checkHydraLayerFiniteDifferences(dropout: 0.3)
    }

    /// Random, pairwise different B heads; yet the model output at initialisation equals the base
    /// model to float32 noise, because the frozen initial copy's exact output is subtracted. Without
    /// the subtraction the same parameters move the logits by orders of magnitude more.
    func testStartsAtTheBaseModel() throws {
        let model = try tinyModel()
        let batch = endToEndBatch()
        let base = try model.decoder.logits(for: batch).array
        let adapter = HydraLoRAAdapter.rLoRA(model: model.config, tasks: 3, rank: 4, alpha: 8, headDropout: 0.1, seed: 5)
        XCTAssertEqual(adapter.kind, "rlora")
        let site = adapter.parameters.sites[0]
        let heads = adapter.parameters.heads[site]!.map(\.array)
        XCTAssertTrue(heads.allSatisfy { h in h.contains { $0 != 0 } }, "R-LoRA heads start random")
        XCTAssertNotEqual(heads[0], heads[1]); XCTAssertNotEqual(heads[1], heads[2])
        model.decoder.adapter = adapter
        let adapted = try model.decoder.logits(for: batch).array
        let offsetOnly = maxAbsDiff(adapted, base)
        print("R-LoRA at init: max |logits − base| \(offsetOnly)")
        assertClose(adapted, base, atol: 2e-6, "R-LoRA logits at init")
        model.decoder.adapter = HydraLoRAAdapter(parameters: adapter.parameters)  // same heads, no subtraction
        let unsubtracted = try model.decoder.logits(for: batch).array
        model.decoder.adapter = nil
        XCTAssertGreaterThan(maxAbsDiff(unsubtracted, base), 100 * max(offsetOnly, 1e-7))
    }

    /// Decoder gradients (training mode: head-dropout masks on, reproduced from `dropoutSeed`, and the
    /// frozen initial term contributing to dx) against finite differences of the loss.
    func testDecoderGradientsWithDropoutMatchFiniteDifferences() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter.rLoRA(model: model.config, tasks: 3, rank: 4, alpha: 8, targets: [.q, .v, .o, .gate],
                                             headDropout: 0.25, seed: 6)
        adapter.dropoutSeed = 77
        // Move away from the initial point so that the trainable and frozen terms differ.
        var rng = SplitMix64(seed: 8)
        for (_, v, _) in adapter.namedParameters { for i in 0..<v.count { v.data[i] += Float(rng.nextNormal() * 0.05) } }
        try checkDecoderGradients(adapter, model: model, batch: endToEndBatch(),
                                  names: ["layers.0.self_attn.v_proj", "layers.1.self_attn.q_proj", "layers.0.mlp.gate_proj"])
    }

    /// The head-dropout masks change the training-mode loss, are reproducible from the seed, and are
    /// off in eval mode.
    func testHeadDropoutMasksAreSeededAndTrainingOnly() throws {
        let model = try tinyModel()
        let batch = endToEndBatch()
        let adapter = HydraLoRAAdapter.rLoRA(model: model.config, tasks: 3, rank: 4, alpha: 8, headDropout: 0.5, seed: 6)
        randomise(adapter, std: 0.2, seed: 4)
        model.decoder.adapter = adapter
        defer { model.decoder.adapter = nil }
        let acts = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: true)
        func loss(_ training: Bool) throws -> Double {
            try model.decoder.lossAndGradients(batch, acts, backward: false, training: training).meanNLL
        }
        adapter.dropoutSeed = 1
        let a = try loss(true), a2 = try loss(true), eval = try loss(false)
        adapter.dropoutSeed = 2
        let b = try loss(true)
        XCTAssertEqual(a, a2)
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a, eval)
    }

    func testAdamWLowersTheLoss() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter.rLoRA(model: model.config, tasks: 3, rank: 4, alpha: 8, headDropout: 0.05, seed: 9)
        let (first, last) = try trainSteps(adapter, model: model, batch: endToEndBatch()) { adapter.dropoutSeed = UInt64($0) }
        print("R-LoRA 50 AdamW steps: loss \(first) -> \(last)")
        XCTAssertLessThan(last, first - 0.5)
    }

    /// The frozen initial copy is saved and restored, so a loaded R-LoRA gives the same outputs.
    func testSaveLoadRoundTrip() throws {
        let model = try tinyModel()
        let adapter = HydraLoRAAdapter.rLoRA(model: model.config, tasks: 2, rank: 2, alpha: 4, targets: [.k, .o], headDropout: 0.1, seed: 10)
        for (_, v, _) in adapter.namedParameters { v.data[0] += 0.3 }
        let (loaded, dir) = try saveAndReload(adapter, prefix: "rlora") { try MultiHeadFormat.load($0, model: model.config) }
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(loaded.kind, "rlora")
        XCTAssertEqual(loaded.config, adapter.config)
        let file = try SafeTensorsFile(url: dir.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertTrue(file.contains("model.layers.0.self_attn.k_proj.lora_B_init.1.weight"))
        let batch = endToEndBatch()
        model.decoder.adapter = adapter
        let a = try model.decoder.logits(for: batch).array
        model.decoder.adapter = loaded
        let b = try model.decoder.logits(for: batch).array
        model.decoder.adapter = nil
        XCTAssertEqual(a, b)
    }
}
