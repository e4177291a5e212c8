import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// Whole-layer recomputation (`ActivationRecomputation.layer`: only the residual stream is kept per
/// layer, the backward re-runs each layer's forward first) trades memory for compute only. The
/// loss, every adapter gradient and dLoss/d(embeddings) must be the same bits as with everything
/// saved (and as with gate/up recomputed): in float32 and bf16, with float32 and resident
/// (quantized) weights, with adapters on every projection and with dropout, whose masks the
/// re-run must reproduce.
final class LayerRecomputeTests: XCTestCase {
    struct Run { var loss: UInt64; var grads: [String: [UInt32]]; var dEmbeddings: [UInt32]; var bytes: Int }

    func run(_ adapter: TrainableAdapter, model: LanguageModel, batch: TokenBatch, recompute: ActivationRecomputation,
             training: Bool = true) throws -> Run {
        model.decoder.adapter = adapter
        defer { model.decoder.adapter = nil }
        let acts = DecoderActivations(config: model.config, batch: batch.batch, seqLen: batch.seqLen,
                                      saveForBackward: true, recompute: recompute)
        XCTAssertEqual(acts.recomputation, recompute)
        XCTAssertEqual(acts.byteCount, DecoderActivations.plannedBytes(config: model.config, batch: batch.batch, seqLen: batch.seqLen,
                                                                       saveForBackward: true, recompute: recompute),
                       "plannedBytes must predict the buffers allocated")
        adapter.zeroGradients()
        let dEmbeddings = Tensor(shape: [batch.rows, model.config.hiddenSize])
        let loss = try model.decoder.lossAndGradients(batch, acts, dEmbeddings: dEmbeddings, training: training).meanNLL
        var grads: [String: [UInt32]] = [:]
        for (name, _, grad) in adapter.namedParameters { grads[name] = grad.array.map(\.bitPattern) }
        return Run(loss: loss.bitPattern, grads: grads, dEmbeddings: dEmbeddings.array.map(\.bitPattern), bytes: acts.byteCount)
    }

    /// Runs `.none`, `.mlp` and `.layer` and asserts they agree bit for bit.
    func assertIdentical(_ adapter: TrainableAdapter, model: LanguageModel, batch: TokenBatch = endToEndBatch(),
                         training: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let saved = try run(adapter, model: model, batch: batch, recompute: .none, training: training)
        let mlp = try run(adapter, model: model, batch: batch, recompute: .mlp, training: training)
        let layer = try run(adapter, model: model, batch: batch, recompute: .layer, training: training)
        let nonZero = saved.grads.values.filter { $0.contains { Float(bitPattern: $0) != 0 } }.count
        XCTAssertGreaterThan(nonZero, 0, "every gradient is zero: the comparison would prove nothing", file: file, line: line)
        XCTAssertTrue(saved.dEmbeddings.contains { Float(bitPattern: $0) != 0 }, file: file, line: line)
        for (other, label) in [(mlp, "mlp"), (layer, "layer")] {
            XCTAssertEqual(other.loss, saved.loss, "\(adapter.kind) loss with \(label) recomputation", file: file, line: line)
            XCTAssertEqual(other.grads.keys.sorted(), saved.grads.keys.sorted(), file: file, line: line)
            for (name, g) in saved.grads {
                XCTAssertEqual(other.grads[name], g, "\(adapter.kind) \(name) with \(label) recomputation", file: file, line: line)
            }
            XCTAssertEqual(other.dEmbeddings, saved.dEmbeddings, "\(adapter.kind) dLoss/d(embeddings) with \(label) recomputation",
                           file: file, line: line)
        }
        XCTAssertLessThan(layer.bytes, mlp.bytes, "whole-layer recomputation must hold fewer bytes than MLP recomputation", file: file, line: line)
        XCTAssertLessThan(mlp.bytes, saved.bytes, file: file, line: line)
    }

    func loraEverywhere(_ model: LanguageModel, dropout: Float = 0.1, seed: UInt64 = 5) -> LoRAAdapter {
        let parameters = LoRAParameters(config: LoRAConfig(rank: 4, alpha: 8, targets: Projection.allCases, dropout: dropout),
                                        model: model.config)
        let adapter = LoRAAdapter(parameters)
        randomise(adapter, std: 0.1, seed: seed)
        adapter.dropoutSeed = 77
        return adapter
    }

    func testLoRAOnEveryProjectionWithDropout() throws {
        let model = try tinyModel()
        let batch = endToEndBatch(groups: [0, 0, 0, 0])
        try assertIdentical(loraEverywhere(model), model: model, batch: batch)
        // Gradients without dropout (training: false): the re-run must not draw masks either.
        try assertIdentical(loraEverywhere(model), model: model, batch: batch, training: false)
    }

    func testHydraLoRAAndLoRAMoE() throws {
        let model = try tinyModel()
        let hydra = HydraLoRAAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, targets: [.q, .v, .gate, .up, .down], seed: 1)
        randomise(hydra, std: 0.1, seed: 6)
        try assertIdentical(hydra, model: model)
        let moe = LoRAMoEAdapter(model: model.config, tasks: 3, rank: 8, alpha: 16, experts: 2, taskEmbeddingDim: 8,
                                 targets: [.q, .k, .o, .up], seed: 2)
        randomise(moe, std: 0.1, seed: 7)
        try assertIdentical(moe, model: model)
    }

    /// Quantized-resident weights (dequantized before each product, in the backward's re-run too)
    /// give the same bits as the float32 copy with everything saved.
    func testResidentQuantizedWeights() throws {
        for file in ["tiny-llama/model-q4_1.gguf", "tiny-llama/model-q8_0.gguf"] {
            let url = try Fixtures.require(file)
            let f32 = try LanguageModel(url: url, weights: .f32)
            let resident = try LanguageModel(url: url, weights: .resident)
            XCTAssertEqual(resident.weights.residency, .resident)
            let batch = endToEndBatch(groups: [0, 0, 0, 0])
            let reference = try run(loraEverywhere(f32), model: f32, batch: batch, recompute: .none)
            try assertIdentical(loraEverywhere(resident), model: resident, batch: batch)
            let layer = try run(loraEverywhere(resident), model: resident, batch: batch, recompute: .layer)
            XCTAssertEqual(layer.loss, reference.loss, file)
            XCTAssertEqual(layer.grads, reference.grads, file)
            XCTAssertEqual(layer.dEmbeddings, reference.dEmbeddings, file)
            XCTAssertGreaterThan(resident.decoder.dequantizeSeconds, 0)
        }
    }

    func testBF16Products() throws {
        try requireBF16()
        let model = try tinyModel()
        try model.decoder.setPrecision(.bf16)
        defer { try? model.decoder.setPrecision(.f32) }
        try assertIdentical(loraEverywhere(model), model: model, batch: endToEndBatch(groups: [0, 0, 0, 0]))
    }

    /// SmolLM2-135M (30 layers, grouped-query attention), resident Q4_1 and float32, and in bf16.
    func testSmolLM2() throws {
        let url = try Fixtures.smolLM2()
        var rng = SplitMix64(seed: 9)
        let ids = (0..<2).map { _ in (0..<24).map { _ in Int(rng.next() % 49_000) } }
        let batch = TokenBatch(inputIds: ids, attentionMask: ids.map { $0.map { _ in 1 } }, labels: ids)
        let f32 = try LanguageModel(url: url, weights: .f32)
        let resident = try LanguageModel(url: url, weights: .resident)
        let lora = { (m: LanguageModel) -> LoRAAdapter in
            let p = LoRAParameters(config: LoRAConfig(rank: 8, alpha: 16, targets: [.q, .k, .v, .o]), model: m.config)
            let a = LoRAAdapter(p)
            randomise(a, std: 0.02, seed: 3)
            return a
        }
        let reference = try run(lora(f32), model: f32, batch: batch, recompute: .none)
        for (model, label) in [(f32, "f32"), (resident, "resident")] {
            let layer = try run(lora(model), model: model, batch: batch, recompute: .layer)
            XCTAssertEqual(layer.loss, reference.loss, label)
            XCTAssertEqual(layer.grads, reference.grads, label)
            XCTAssertEqual(layer.dEmbeddings, reference.dEmbeddings, label)
        }
        if Precision.bf16.unavailableReason() == nil {
            try f32.decoder.setPrecision(.bf16)
            defer { try? f32.decoder.setPrecision(.f32) }
            let saved = try run(lora(f32), model: f32, batch: batch, recompute: .none)
            let layer = try run(lora(f32), model: f32, batch: batch, recompute: .layer)
            XCTAssertEqual(layer.loss, saved.loss, "bf16")
            XCTAssertEqual(layer.grads, saved.grads, "bf16")
            XCTAssertEqual(layer.dEmbeddings, saved.dEmbeddings, "bf16")
        }
    }

    func testInferenceActivationsNeverRecompute() throws {
        let model = try tinyModel()
        let acts = DecoderActivations(config: model.config, batch: 1, seqLen: 8, saveForBackward: false, recompute: .layer)
        XCTAssertEqual(acts.recomputation, .none)
        XCTAssertEqual(acts.byteCount, DecoderActivations.plannedBytes(config: model.config, batch: 1, seqLen: 8, saveForBackward: false))
    }

    /// The automatic choice: SmolLM2's shapes never need whole layers recomputed; LLaMA-2-7B and
    /// 13B at 8 × 512 do, and then keep ~(L + 1)·N·C floats instead of ~13 GB.
    func testAutomaticChoice() {
        let budget = DecoderActivations.defaultLayerRecomputeAboveBytes
        func choice(_ c: LlamaConfig, _ b: Int, _ t: Int) -> ActivationRecomputation {
            DecoderActivations.automaticRecomputation(config: c, batch: b, seqLen: t, mlpFromLength: 1024, layerAboveBytes: budget)
        }
        let smol = LlamaConfig(architecture: "llama", vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
                               headCount: 9, keyValueHeadCount: 3, headSize: 64, ropeDimensions: 64, ropeTheta: 100_000,
                               ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 8192, tiedEmbeddings: true)
        let llama7b = LlamaConfig(architecture: "llama", vocabularySize: 32000, hiddenSize: 4096, intermediateSize: 11008, layerCount: 32,
                                  headCount: 32, keyValueHeadCount: 32, headSize: 128, ropeDimensions: 128, ropeTheta: 10_000,
                                  ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 4096, tiedEmbeddings: false)
        XCTAssertEqual(choice(smol, 8, 256), .none)
        XCTAssertEqual(choice(smol, 8, 512), .none)
        XCTAssertEqual(choice(smol, 8, 1024), .mlp)
        XCTAssertEqual(choice(llama7b, 1, 64), .none)
        XCTAssertEqual(choice(llama7b, 8, 512), .layer)
        let layerBytes = DecoderActivations.plannedBytes(config: llama7b, batch: 8, seqLen: 512, saveForBackward: true, recompute: .layer)
        let mlpBytes = DecoderActivations.plannedBytes(config: llama7b, batch: 8, seqLen: 512, saveForBackward: true, recompute: .mlp)
        // 33 residuals of 8×512×4096 floats (2.06 GiB), one layer's set and the shared scratch (0.94 GiB).
        XCTAssertLessThan(Double(layerBytes), 3.1 * Double(1 << 30))
        XCTAssertGreaterThan(Double(mlpBytes), 12.0 * Double(1 << 30))
    }
}
