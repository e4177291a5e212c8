import XCTest
import Engine
import Models
import TestSupport

/// The GGUF reader against the tiny-llama fixtures: bit-exact dequantization and metadata.
final class GGUFFixtureTests: XCTestCase {
    func testDequantizationIsBitExactAgainstGGUFPy() throws {
        for encoding in ["q8_0", "q4_1"] {
            let reference = try Fixtures.safetensors("tiny-llama/dequantized-\(encoding).safetensors")
            let gguf = try GGUFFile(url: Fixtures.require("tiny-llama/model-\(encoding).gguf"))
            XCTAssertFalse(reference.names.isEmpty)
            for name in reference.names {
                let info = try XCTUnwrap(gguf.tensors[name], "\(name) missing in \(encoding) GGUF")
                XCTAssertEqual(info.shape, try reference.shape(name), "\(encoding) \(name) shape")
                let ours = try gguf.floats(name)
                let theirs = try reference.floats(name)
                XCTAssertEqual(ours.count, theirs.count)
                let mismatches = zip(ours, theirs).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                XCTAssertEqual(mismatches, 0, "\(encoding) \(name): \(mismatches) values differ in their bits")
            }
        }
    }

    func testF32GGUFHoldsTheSafetensorsWeightsUnderTheTensorMap() throws {
        let map = try XCTUnwrap(Fixtures.json("tiny-llama/gguf-tensor-map.json") as? [String: Any])
        let gguf = try GGUFFile(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        XCTAssertEqual(gguf.version, 3)
        XCTAssertEqual(gguf.architecture, "llama")
        XCTAssertEqual(gguf.tensors.count, gguf.tensorOrder.count)
        XCTAssertFalse(map.isEmpty)
        for info in gguf.tensors.values { XCTAssertEqual(info.type, .f32) }
    }
}
