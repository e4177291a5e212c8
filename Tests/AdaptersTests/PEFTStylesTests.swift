import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// Real PEFT 0.21 adapters for SmolLM2, one per `target_modules` style (Fixtures/peft, made by
/// make_peft_adapters.py), load and score as PEFT scores them.
///
/// Tolerance 1e-3 nats on a summed log-likelihood: both sides run the bit-exact Q4_1
/// dequantization, so the difference is float32 arithmetic here against PyTorch's float32 (the
/// reference is summed in float64). Measured worst: printed by the test.
final class PEFTStylesTests: XCTestCase {
    static let tolerance = 1e-3
    nonisolated(unsafe) static var cachedModel: LanguageModel?

    static var folder: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/peft") }

    func model() throws -> LanguageModel {
        if let m = Self.cachedModel { return m }
        let m = try LanguageModel(url: Fixtures.smolLM2())
        Self.cachedModel = m
        return m
    }

    func references() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("references.json"))) as? [String: Any])
    }

    /// Summed log p(continuation | context) for each reference pair.
    func logLikelihoods(_ m: LanguageModel, pairs: [[String: Any]]) throws -> [Double] {
        try pairs.map { pair in
            let context = try XCTUnwrap(pair["context_ids"] as? [Int]), continuation = try XCTUnwrap(pair["continuation_ids"] as? [Int])
            let ids = context + continuation
            let labels = [Int](repeating: -100, count: context.count) + continuation
            let batch = TokenBatch(inputIds: [ids], labels: [labels])
            let acts = DecoderActivations(config: m.config, batch: 1, seqLen: ids.count, saveForBackward: false)
            try m.decoder.forward(batch, acts)
            let (logProbs, _) = m.decoder.scoreTargets(batch, acts)
            return zip(logProbs, batch.targets).filter { $0.1 >= 0 }.reduce(0) { $0 + $1.0 }
        }
    }

    func check(style: String) throws {
        let m = try model()
        let refs = try references()
        let pairs = try XCTUnwrap(refs["pairs"] as? [[String: Any]])
        let entry = try XCTUnwrap((refs["adapters"] as? [String: Any])?[style] as? [String: Any])
        let expected = try XCTUnwrap(entry["loglikelihoods"] as? [Double])
        let base = pairs.map { $0["base_loglikelihood"] as! Double }

        let parameters = try PEFTFormat.load(Self.folder.appendingPathComponent(style), model: m.config)
        XCTAssertEqual(parameters.sites.count, entry["adapted_modules"] as? Int, "\(style): adapted modules")
        if let ranks = entry["ranks"] as? [String: Int], let scalings = entry["scalings"] as? [String: Double] {
            let ours = Dictionary(uniqueKeysWithValues: parameters.sites.map { ($0.moduleName, parameters.shapes[$0]!) })
            XCTAssertEqual(Set(ours.keys), Set(ranks.keys), "\(style): adapted module names")
            for (name, r) in ranks {
                XCTAssertEqual(ours[name]?.rank, r, "\(style) \(name): rank")
                XCTAssertEqual(Double(ours[name]?.scale ?? 0), scalings[name]!, accuracy: 1e-6, "\(style) \(name): scale")
            }
        }
        m.decoder.adapter = LoRAAdapter(parameters)
        defer { m.decoder.adapter = nil }
        let ours = try logLikelihoods(m, pairs: pairs)
        for i in expected.indices {
            XCTAssertEqual(ours[i], expected[i], accuracy: Self.tolerance, "\(style) pair \(i)")
        }
        // The adapter must move the scores well beyond the tolerance, or the check proves nothing.
        XCTAssertGreaterThan(zip(expected, base).map { abs($0 - $1) }.max()!, 10 * Self.tolerance, "\(style): adapter barely changes the scores")
        print("peft \(style): \(parameters.sites.count) modules, max |ours - PEFT| \(zip(ours, expected).map { abs($0 - $1) }.max()!) nats")
    }

    func testAllLinear() throws { try check(style: "all-linear") }
    func testShortNames() throws { try check(style: "short-names") }
    func testFullModulePathsOfSomeLayers() throws { try check(style: "full-paths") }
    func testRegexString() throws { try check(style: "regex") }
    func testRSLoRAWithDropoutAndLayersToTransform() throws { try check(style: "rslora-dropout") }
    func testRankAndAlphaPatternsAndExcludedModules() throws { try check(style: "patterns") }

    func testBaseModelScoresMatchTheReference() throws {
        let m = try model()
        let pairs = try XCTUnwrap(try references()["pairs"] as? [[String: Any]])
        let ours = try logLikelihoods(m, pairs: pairs)
        for (o, p) in zip(ours, pairs) { XCTAssertEqual(o, p["base_loglikelihood"] as! Double, accuracy: Self.tolerance) }
    }

    /// Options PEFT would apply but we do not implement are refused by name, before any tensor is read.
    func testUnsupportedOptionsAreRefusedByName() throws {
        let m = try model()
        let source = Self.folder.appendingPathComponent("short-names")
        let cases: [(String, Any, String)] = [
            ("modules_to_save", ["lm_head"], "modules_to_save"),
            ("use_dora", true, "use_dora"),
            ("bias", "lora_only", "bias"),
            ("target_modules", ["lm_head"], "lm_head"),
            ("target_modules", ["embed_tokens", "q_proj"], "embed_tokens"),
            ("target_modules", ".*self_attn", "self_attn"),
            ("target_modules", ["nothing_proj"], "matches no projection"),
            ("target_modules", "(unclosed", "not a regular expression"),
            ("layers_to_transform", "three", "layers_to_transform"),
        ]
        for (key, value, expected) in cases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peft-refuse-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source.appendingPathComponent("adapter_model.safetensors"), to: dir.appendingPathComponent("adapter_model.safetensors"))
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("adapter_config.json"))) as? [String: Any])
            json[key] = value
            try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("adapter_config.json"))
            XCTAssertThrowsError(try PEFTFormat.load(dir, model: m.config), "\(key) = \(value)") { error in
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains("adapter_config.json"), "\(key): \(error)")
            }
        }
    }

    /// Two rank_pattern keys that both match a module with different values depend on the file's
    /// key order, which our JSON reader does not keep: refused, naming both keys.
    func testAmbiguousRankPatternIsRefused() throws {
        let targets = PEFTTargets(modules: .names(["q_proj"]), exclude: nil, layersToTransform: nil, layersPattern: nil,
                                  rank: 2, alpha: 4, useRSLoRA: false,
                                  rankPattern: [("q_proj", 3), ("layers.1.self_attn.q_proj", 1)], alphaPattern: [])
        XCTAssertThrowsError(try targets.resolve(model: try model().config, file: "cfg.json")) { error in
            XCTAssertTrue("\(error)".contains("rank_pattern") && "\(error)".contains("layers.1.self_attn.q_proj"), "\(error)")
        }
    }
}
