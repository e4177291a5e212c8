import XCTest
import Engine
import Models
import Bench
import TestSupport

/// The llama7b/llama13b parts refuse a model of another shape by name (a 7B-shaped model is too
/// large for a unit test; the parts are measured on `synth-checkpoint`'s file, README).
final class PaperScaleBenchTests: XCTestCase {
    func testOtherShapesAreRefusedByName() throws {
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let bench = Benchmarks(model: model, repeats: 1, dataDir: "data", log: { _ in })
        XCTAssertThrowsError(try bench.run("llama7b-score")) { error in
            XCTAssertTrue("\(error)".contains("synth-checkpoint") && "\(error)".contains("hidden 64"), "\(error)")
        }
    }

    /// The six headline keys at 8 × 512 (the names), and other shapes named in theirs.
    func testHeadlineKeyNames() {
        let keys = [Benchmarks.paperScaleKey("llama7b", "score", "tokens_per_s", batch: 8, length: 512),
                    Benchmarks.paperScaleKey("llama7b", "train", "tokens_per_s", batch: 8, length: 512),
                    Benchmarks.paperScaleKey("llama7b", "score", "peak_rss_mib", batch: 8, length: 512),
                    Benchmarks.paperScaleKey("llama7b", "train", "peak_rss_mib", batch: 8, length: 512),
                    Benchmarks.paperScaleKey("llama13b", "train", "peak_rss_mib", batch: 8, length: 512)]
        XCTAssertEqual(keys, ["llama7b_score_8x512_tokens_per_s", "llama7b_train_8x512_tokens_per_s", "llama7b_score_peak_rss_mib",
                              "llama7b_train_peak_rss_mib", "llama13b_train_peak_rss_mib"])
        XCTAssertEqual(Benchmarks.paperScaleKey("llama7b", "train", "peak_rss_mib", batch: 1, length: 64), "llama7b_train_1x64_peak_rss_mib")
        XCTAssertEqual(Benchmarks.paperScaleKey("llama7b", "train", "tokens_per_s", batch: 1, length: 64), "llama7b_train_1x64_tokens_per_s")
    }

    /// The estimate the bench refuses by: whole-layer recomputation keeps 7B training at 8 × 512
    /// to a few GiB besides the weights, where MLP recomputation alone needed ~14.
    func testTrainingEstimateUsesLayerRecomputation() {
        XCTAssertEqual(Benchmarks.paperScaleRecomputation, .layer)
        let c = LlamaConfig(architecture: "llama", vocabularySize: 49152, hiddenSize: 4096, intermediateSize: 11008, layerCount: 32,
                            headCount: 32, keyValueHeadCount: 32, headSize: 128, ropeDimensions: 128, ropeTheta: 10_000,
                            ropeLinearScale: 1, rmsNormEpsilon: 1e-5, contextLength: 4096, tiedEmbeddings: false)
        let gib = Double(1 << 30)
        let layer = Double(Benchmarks.activationBytes(c, batch: 8, length: 512, training: true, recompute: .layer)) / gib
        let mlp = Double(Benchmarks.activationBytes(c, batch: 8, length: 512, training: true, recompute: .mlp)) / gib
        XCTAssertLessThan(layer, 6, "\(layer) GiB")
        XCTAssertGreaterThan(mlp, 13, "\(mlp) GiB")
    }
}
