import XCTest
import Models
import Evaluation
import TestSupport

/// NaN weights must stop scoring with an error naming the model, never print "nan" as a metric.
final class NonFiniteScoreTests: XCTestCase {
    func testNaNWeightsGiveANamedNonFiniteLoglikelihoodError() throws {
        let source = try Fixtures.require("tiny-llama/model-f32.gguf")
        let gguf = try GGUFFile(url: source)
        let info = try XCTUnwrap(gguf.tensors["output_norm.weight"])
        XCTAssertEqual(info.type, .f32)
        var data = try Data(contentsOf: source)
        let start = try XCTUnwrap(gguf.fileOffset(of: info.name))
        let nan = Float.nan.bitPattern.littleEndian
        for i in 0..<info.elementCount { withUnsafeBytes(of: nan) { data.replaceSubrange((start + 4 * i)..<(start + 4 * i + 4), with: $0) } }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nan-weights-\(UUID().uuidString).gguf")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }

        let backend = try ModelBackend(model: try LanguageModel(url: url))
        XCTAssertThrowsError(try backend.loglikelihoods([LoglikelihoodRequest(context: "The capital of France is", continuation: " Paris")]) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("non-finite log-likelihood") && "\(error)".contains(url.lastPathComponent), "\(error)")
        }
    }
}
