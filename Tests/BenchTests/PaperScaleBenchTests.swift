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
}
