import Foundation
import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// `metalora merge`'s path: a LoRA adapter folded into the base weights and written as a model
/// file, whose logits (no adapter) equal the base model's with the adapter applied.
final class MergeTests: XCTestCase {
    static let batch = TokenBatch(inputIds: [[1, 17, 99, 4, 250, 33, 7, 128], [1, 5, 6, 200, 0, 0, 0, 0]],
                                  attentionMask: [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0]])

    /// A rank-4 adapter on every projection with random A and B (B ≠ 0, so it changes the
    /// model), saved as PEFT writes it, with `use_rslora` switched on in its config.
    func writeAdapter(model: LlamaConfig, rsLoRA: Bool) throws -> URL {
        let p = LoRAParameters(config: LoRAConfig(rank: 4, alpha: 8, targets: Projection.allCases), model: model)
        var rng = SplitMix64(seed: 7)
        for (_, t, _) in p.namedParameters {
            for i in 0..<t.count { t.data[i] = Float(rng.nextUniform() - 0.5) * 0.2 }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("merge-adapter-\(UUID().uuidString)")
        try PEFTFormat.save(p, to: folder)
        if rsLoRA {
            let configURL = folder.appendingPathComponent("adapter_config.json")
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
            json["use_rslora"] = true
            try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        }
        return folder
    }

    func logits(_ m: LanguageModel) throws -> [Float] {
        var out = try m.decoder.logits(for: Self.batch).array
        // Padded rows are not compared (their logits are whatever the padding token gives).
        let v = m.config.vocabularySize
        for row in 0..<Self.batch.rows where Self.batch.mask[row] == 0 { for j in 0..<v { out[row * v + j] = 0 } }
        return out
    }

    func checkMerge(base: URL, outName: String, rsLoRA: Bool) throws {
        let adapted = try LanguageModel(url: base)
        let adapterURL = try writeAdapter(model: adapted.config, rsLoRA: rsLoRA)
        defer { try? FileManager.default.removeItem(at: adapterURL) }
        let parameters = try PEFTFormat.load(adapterURL, model: adapted.config)
        let site = parameters.sites[0]
        XCTAssertEqual(parameters.scale(site), rsLoRA ? 8 / 2 : 8 / 4, "α/√r under rsLoRA, α/r otherwise")
        let baseLogits = try logits(adapted)
        adapted.decoder.adapter = LoRAAdapter(parameters)
        let expected = try logits(adapted)

        let merging = try LanguageModel(url: base)
        parameters.merge(into: merging.weights)
        let outFolder = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outFolder) }
        try FileManager.default.createDirectory(at: outFolder, withIntermediateDirectories: true)
        let out = outFolder.appendingPathComponent(outName)
        let sites = Set(parameters.sites)
        try ModelFileWriter.write(merging, changed: { sites.contains(AdapterSite(layer: $0, projection: $1)) }, provenance: "test", to: out)
        XCTAssertThrowsError(try ModelFileWriter.write(merging, changed: { _, _ in true }, provenance: "test", to: out),
                             "an existing file is never overwritten")

        let merged = try LanguageModel(url: out)
        XCTAssertEqual(merged.config, adapted.config)
        XCTAssertNil(merged.decoder.adapter)
        let got = try logits(merged)
        let diff = maxAbsDiff(got, expected)
        print("merge \(base.lastPathComponent) → \(outName) (rsLoRA \(rsLoRA)): max |merged − base+adapter| = \(diff), "
              + "adapter moved logits by \(maxAbsDiff(baseLogits, expected))")
        XCTAssertLessThan(diff, 1e-4)
        XCTAssertGreaterThan(maxAbsDiff(baseLogits, expected), 1e-2, "the adapter must change the logits for the test to mean anything")
    }

    func testMergedGGUFEqualsBasePlusAdapter() throws {
        try checkMerge(base: Fixtures.require("tiny-llama/model-f32.gguf"), outName: "merged.gguf", rsLoRA: false)
    }

    func testMergedQuantizedGGUFKeepsUnchangedTensorsAndUsesRSLoRAScale() throws {
        let base = try Fixtures.require("tiny-llama/model-q8_0.gguf")
        try checkMerge(base: base, outName: "merged.gguf", rsLoRA: true)
    }

    func testMergedSafetensorsEqualsBasePlusAdapter() throws {
        try checkMerge(base: Fixtures.require("tiny-llama"), outName: "merged.safetensors", rsLoRA: true)
    }

    func testOnlyAdaptedTensorsChangeAndFormatsDoNotCross() throws {
        let url = try Fixtures.require("tiny-llama/model-q8_0.gguf")
        let m = try LanguageModel(url: url)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: out) }
        try ModelFileWriter.write(m, changed: { l, p in l == 0 && p == .q }, provenance: "test", to: out)
        let source = try GGUFFile(url: url), written = try GGUFFile(url: out)
        XCTAssertEqual(written.tensorOrder, source.tensorOrder)
        for name in source.tensorOrder where name != "blk.0.attn_q.weight" {
            XCTAssertEqual(try written.rawBytes(name), try source.rawBytes(name), name)
        }
        XCTAssertEqual(written.tensors["blk.0.attn_q.weight"]?.type, .f32)
        XCTAssertEqual(written.metadata["metalora.provenance"]?.string, "test")
        for key in source.metadataKeys { XCTAssertEqual(written.metadata[key], source.metadata[key], key) }
        // Unchanged weights written as F32 reproduce the loader's view exactly (the q rows are re-permuted).
        let reread = try LanguageModel(url: out)
        XCTAssertEqual(reread.weights.layers[0].weightTensor(.q).array, m.weights.layers[0].weightTensor(.q).array)
        XCTAssertThrowsError(try ModelFileWriter.write(m, changed: { _, _ in true }, provenance: "",
                                                       to: out.deletingPathExtension().appendingPathExtension("safetensors"))) {
            XCTAssertTrue("\($0)".contains("not implemented"), "\($0)")
        }
    }
}
