import Foundation
import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// `metalora export`: the exported folder documents itself and reads back into the same adapter.
final class AdapterExportTests: XCTestCase {
    static let batch = TokenBatch(inputIds: [[1, 17, 99, 4, 250, 33]], attentionMask: [[1, 1, 1, 1, 1, 1]], sequenceGroups: [0])

    func randomize(_ parameters: [(name: String, value: Tensor, grad: Tensor)], seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for (_, t, _) in parameters { for i in 0..<t.count { t.data[i] = Float(rng.nextUniform() - 0.5) * 0.3 } }
    }

    func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    /// Exports `source`, reads the export back and compares every tensor and the model's logits.
    func checkRoundTrip(source: URL, original: any TrainableAdapter, kind: String, model m: LanguageModel) throws {
        let out = temporary("export")
        defer { try? FileManager.default.removeItem(at: out) }
        let files = try AdapterExport.export(from: source, to: out)
        XCTAssertEqual(files.map(\.lastPathComponent), ["adapter_model.safetensors", "adapter_config.json", "README.md"])
        XCTAssertThrowsError(try AdapterExport.export(from: source, to: out), "never overwrites")

        let readme = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        let tensors = try SafeTensorsFile(url: out.appendingPathComponent("adapter_model.safetensors"))
        for name in tensors.names {
            XCTAssertTrue(readme.contains("| `\(name)` | F32 | \(try tensors.shape(name)) |"), "README lists \(name)")
        }
        XCTAssertTrue(readme.contains("## Routing") && readme.contains("softmax"), readme)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(config["kind"] as? String, kind)
        XCTAssertEqual(config["export_format"] as? String, AdapterExport.format)
        XCTAssertNotNil(config["routing"] as? String)

        let loaded = try XCTUnwrap(try AdapterExport.load(out, model: m.config) as? any TrainableAdapter)
        let a = Dictionary(uniqueKeysWithValues: original.namedParameters.map { ($0.name, $0.value.array) })
        let b = Dictionary(uniqueKeysWithValues: loaded.namedParameters.map { ($0.name, $0.value.array) })
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (name, values) in a { XCTAssertEqual(b[name], values, name) }
        m.decoder.adapter = original
        let expected = try m.decoder.logits(for: Self.batch).array
        m.decoder.adapter = loaded
        XCTAssertEqual(try m.decoder.logits(for: Self.batch).array, expected, "identical adapter, identical logits")
        m.decoder.adapter = nil
        XCTAssertNotEqual(try m.decoder.logits(for: Self.batch).array, expected, "the adapter changes the logits")
    }

    func testHydraLoRAExportRoundTrip() throws {
        let m = try LanguageModel(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        let p = HydraLoRAParameters(config: HydraLoRAConfig(rank: 4, alpha: 8, heads: 3, targets: [.q, .v, .down]), model: m.config)
        randomize(p.namedParameters, seed: 11)
        let adapter = HydraLoRAAdapter(parameters: p)
        let source = temporary("hydra")
        defer { try? FileManager.default.removeItem(at: source) }
        try MultiHeadFormat.save(adapter, to: source)
        try checkRoundTrip(source: source, original: adapter, kind: "hydralora", model: m)
    }

    func testLoRAMoEExportRoundTrip() throws {
        let m = try LanguageModel(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        let p = LoRAMoEParameters(config: LoRAMoEConfig(rank: 4, alpha: 8, experts: 2, tasks: 3, taskEmbeddingDim: 8, targets: [.q, .up]),
                                  model: m.config)
        randomize(p.namedParameters, seed: 12)
        let adapter = LoRAMoEAdapter(parameters: p)
        // Loaded for inference, a LoRA-MoE adapter mixes the training tasks' gates (the README's rule).
        adapter.routing = .uniformMixtureOfTaskGates
        let source = temporary("moe")
        defer { try? FileManager.default.removeItem(at: source) }
        try adapter.save(to: source)
        try checkRoundTrip(source: source, original: adapter, kind: "loramoe", model: m)
    }

    func testPlainLoRAIsRefusedWithAReason() throws {
        let m = try LanguageModel(url: Fixtures.require("tiny-llama/model-f32.gguf"))
        let source = temporary("lora")
        defer { try? FileManager.default.removeItem(at: source) }
        try PEFTFormat.save(LoRAParameters(config: LoRAConfig(rank: 2), model: m.config), to: source)
        XCTAssertThrowsError(try AdapterExport.export(from: source, to: temporary("never"))) {
            XCTAssertTrue("\($0)".contains("metalora merge"), "\($0)")
        }
    }
}
