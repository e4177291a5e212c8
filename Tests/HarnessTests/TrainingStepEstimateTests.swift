import XCTest
import Models
import Harness

/// `plan`'s training-step model follows the trainers' recomputation choice: LLaMA-2-7B and 13B
/// at 8 × 512 recompute whole layers (one more forward's products, a few GiB of activations
/// instead of ~14 and ~22), SmolLM2-sized models keep everything.
final class TrainingStepEstimateTests: XCTestCase {
    func testPaperShapesRecomputeLayers() throws {
        let gib = Double(1 << 30)
        for (name, most) in [("llama2-7b", 5.0), ("llama2-13b", 7.0)] {
            let shape = try ModelShape.named(name)
            let c = shape.config
            let lora = Double(c.layerCount) * 16 * Double(4 * c.hiddenSize + 2 * c.queryWidth + 2 * c.keyValueWidth)
            let auto = CellResourceModel.trainingStep(shape, rows: 8, width: 512, loraParameters: lora)
            let saved = CellResourceModel.trainingStep(shape, rows: 8, width: 512, loraParameters: lora, recompute: ActivationRecomputation.none)
            let mlp = CellResourceModel.trainingStep(shape, rows: 8, width: 512, loraParameters: lora, recompute: .mlp)
            XCTAssertEqual(auto.recomputation, .layer, name)
            XCTAssertLessThan(auto.activationBytes / gib, most, name)
            XCTAssertGreaterThan(mlp.activationBytes / gib, 13, name)
            XCTAssertLessThan(mlp.activationBytes, saved.activationBytes, name)
            // One more forward through q, k, v, o, gate, up (not down) and attention: about 38% more work.
            let extra = auto.flopPerToken / saved.flopPerToken
            XCTAssertGreaterThan(extra, 1.3, name)
            XCTAssertLessThan(extra, 1.45, name)
        }
    }

    func testSmallModelsKeepEverything() throws {
        let c = LlamaConfig(architecture: "llama", vocabularySize: 49152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30,
                            headCount: 9, keyValueHeadCount: 3, headSize: 64, ropeDimensions: 64, ropeTheta: 100_000,
                            ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 8192, tiedEmbeddings: true)
        let shape = ModelShape(name: "smollm2", config: c, source: "test")
        XCTAssertEqual(CellResourceModel.trainingStep(shape, rows: 8, width: 512, loraParameters: 1e6).recomputation, .none)
        XCTAssertEqual(CellResourceModel.trainingStep(shape, rows: 8, width: 1024, loraParameters: 1e6).recomputation, .mlp)
    }
}
