import XCTest
import Engine
import Models
import TestSupport

/// Base-model logits of the tiny random LLaMA in all four encodings against the float64 reference.
final class TinyLlamaFixtureTests: XCTestCase {
    func referenceInputs() throws -> (TokenBatch, SafeTensorsFile) {
        let ref = try Fixtures.safetensors("tiny-llama/reference-logits.safetensors")
        let shape = try ref.shape("input_ids")
        let ids = try ref.ints("input_ids"), mask = try ref.ints("attention_mask")
        let b = shape[0], t = shape[1]
        let batch = TokenBatch(inputIds: (0..<b).map { Array(ids[($0 * t)..<($0 * t + t)]) },
                               attentionMask: (0..<b).map { Array(mask[($0 * t)..<($0 * t + t)]) })
        return (batch, ref)
    }

    func checkLogits(model url: URL, reference key: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (batch, ref) = try referenceInputs()
        let model = try LanguageModel(url: url)
        let logits = try model.decoder.logits(for: batch).array
        let expected = try ref.floats(key)
        let v = model.config.vocabularySize
        XCTAssertEqual(logits.count, expected.count, file: file, line: line)
        var worst: Float = 0
        for row in 0..<batch.rows where batch.mask[row] == 1 {
            let a = Array(logits[(row * v)..<(row * v + v)]), e = Array(expected[(row * v)..<(row * v + v)])
            assertClose(a, e, atol: 1e-5, "\(url.lastPathComponent) row \(row)", file: file, line: line)
            worst = max(worst, maxAbsDiff(a, e))
        }
        print("tiny-llama \(url.lastPathComponent) vs \(key): max |diff| \(worst)")
    }

    func testSafetensorsFolderMatchesReferenceLogits() throws {
        try checkLogits(model: Fixtures.require("tiny-llama"), reference: "logits_f32")
    }

    func testF32GGUFMatchesReferenceLogits() throws {
        try checkLogits(model: Fixtures.require("tiny-llama/model-f32.gguf"), reference: "logits_f32")
    }

    func testQ8_0GGUFMatchesReferenceLogits() throws {
        try checkLogits(model: Fixtures.require("tiny-llama/model-q8_0.gguf"), reference: "logits_q8_0")
    }

    func testQ4_1GGUFMatchesReferenceLogits() throws {
        try checkLogits(model: Fixtures.require("tiny-llama/model-q4_1.gguf"), reference: "logits_q4_1")
    }

    /// The un-permuted GGUF q/k rows equal the safetensors weights exactly (the loader undoes
    /// llama.cpp's permutation), for every layer.
    func testGGUFQKRowsAreUnpermutedToTheHFLayout() throws {
        let hf = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let gguf = try LanguageModel(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        XCTAssertEqual(hf.config, gguf.config)
        for l in 0..<hf.config.layerCount {
            for p in Projection.allCases {
                XCTAssertEqual(hf.weights.layers[l].weightTensor(p).array, gguf.weights.layers[l].weightTensor(p).array,
                               "layer \(l) \(p.rawValue)")
            }
        }
        XCTAssertEqual(hf.weights.output.array, gguf.weights.output.array)
    }
}
