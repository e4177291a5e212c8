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

    /// Every GGUF tensor has the map's shape and, un-permuted where the map says so, the exact
    /// safetensors values.
    func testF32GGUFHoldsTheSafetensorsWeightsUnderTheTensorMap() throws {
        let map = try XCTUnwrap(Fixtures.json("tiny-llama/gguf-tensor-map.json") as? [[String: Any]])
        let gguf = try GGUFFile(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        let hf = try Fixtures.safetensors("tiny-llama/model.safetensors")
        let config = try XCTUnwrap(Fixtures.json("tiny-llama/config.json") as? [String: Any])
        XCTAssertEqual(gguf.version, 3)
        XCTAssertEqual(gguf.architecture, "llama")
        XCTAssertEqual(map.count, gguf.tensors.count)
        for entry in map {
            let ggufName = try XCTUnwrap(entry["gguf"] as? String), hfName = try XCTUnwrap(entry["hf"] as? String)
            let info = try XCTUnwrap(gguf.tensors[ggufName], ggufName)
            XCTAssertEqual(info.type, .f32)
            XCTAssertEqual(info.shape, entry["numpy_shape"] as? [Int], ggufName)
            XCTAssertEqual(info.ne, entry["ggml_ne"] as? [Int], ggufName)
            var values = try gguf.floats(ggufName)
            if entry["permuted"] as? Bool == true {
                let heads = try XCTUnwrap(config[ggufName.contains("attn_k") ? "num_key_value_heads" : "num_attention_heads"] as? Int)
                // Inverse of llama.cpp's permute, written independently of the loader:
                // HF row (h, s, i) sits at GGUF row (h, i, s).
                let rows = info.shape[0], cols = info.shape[1], half = rows / heads / 2
                var unpermuted = values
                for h in 0..<heads { for s in 0..<2 { for i in 0..<half {
                    let dst = (h * 2 * half + s * half + i) * cols, src = (h * 2 * half + 2 * i + s) * cols
                    for c in 0..<cols { unpermuted[dst + c] = values[src + c] }
                }}}
                values = unpermuted
            }
            XCTAssertEqual(values, try hf.floats(hfName), "\(ggufName) vs \(hfName)")
        }
    }
}
