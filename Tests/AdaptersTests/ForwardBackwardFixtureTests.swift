import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// The whole stack — loss, logits, every LoRA gradient, dLoss/d(embeddings), residual stream —
/// against fixtures/forward-backward, on the safetensors model and on the GGUF encodings.
final class ForwardBackwardFixtureTests: XCTestCase {
    struct Case {
        let batch: TokenBatch
        let outputs: SafeTensorsFile
        let grads: SafeTensorsFile
        let lora: SafeTensorsFile
        let meta: [String: Any]
    }

    static func loadCase() throws -> Case {
        let inputs = try Fixtures.safetensors("forward-backward/inputs.safetensors")
        let shape = try inputs.shape("input_ids")
        let b = shape[0], t = shape[1]
        func rows(_ key: String) throws -> [[Int]] {
            let flat = try inputs.ints(key)
            return (0..<b).map { Array(flat[($0 * t)..<($0 * t + t)]) }
        }
        let batch = TokenBatch(inputIds: try rows("input_ids"), attentionMask: try rows("attention_mask"), labels: try rows("labels"))
        let meta = try XCTUnwrap(Fixtures.json("forward-backward/meta.json") as? [String: Any])
        return Case(batch: batch, outputs: try Fixtures.safetensors("forward-backward/outputs.safetensors"),
                    grads: try Fixtures.safetensors("forward-backward/grads.safetensors"),
                    lora: try Fixtures.safetensors("forward-backward/lora.safetensors"), meta: meta)
    }

    /// LoRA parameters from the fixture's lora.safetensors; rank, alpha and targets from meta.json.
    static func fixtureLoRA(_ fixture: Case, model: LlamaConfig) throws -> LoRAParameters {
        let lora = try XCTUnwrap(fixture.meta["lora"] as? [String: Any])
        let targets = try XCTUnwrap(lora["targets"] as? [String]).compactMap(Projection.init(name:))
        let config = LoRAConfig(rank: try XCTUnwrap(lora["rank"] as? Int), alpha: Float(try XCTUnwrap(lora["alpha"] as? Double)),
                                targets: targets)
        let parameters = LoRAParameters(config: config, model: model)
        for (name, value, _) in parameters.namedParameters {
            XCTAssertEqual(try fixture.lora.shape(name), value.shape, name)
            value.copy(from: try fixture.lora.tensor(name))
        }
        return parameters
    }

    func runCase(modelPath: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try Self.loadCase()
        let model = try LanguageModel(url: Fixtures.require(modelPath))
        let parameters = try Self.fixtureLoRA(fixture, model: model.config)
        model.decoder.adapter = LoRAAdapter(parameters)
        defer { model.decoder.adapter = nil }
        let acts = DecoderActivations(config: model.config, batch: fixture.batch.batch, seqLen: fixture.batch.seqLen, saveForBackward: true)
        let dEmbeddings = Tensor(shape: [fixture.batch.rows, model.config.hiddenSize])
        let result = try model.decoder.lossAndGradients(fixture.batch, acts, dEmbeddings: dEmbeddings)
        let expectedLoss = try XCTUnwrap(fixture.meta["loss"] as? Double)
        XCTAssertEqual(result.meanNLL, expectedLoss, accuracy: 1e-6, "\(modelPath) loss", file: file, line: line)
        XCTAssertEqual(result.validCount, fixture.meta["n_label_tokens"] as? Int, file: file, line: line)

        // Logits and activations are only meaningful where mask = 1.
        let c = model.config.hiddenSize, v = model.config.vocabularySize
        let valid = (0..<fixture.batch.rows).filter { fixture.batch.mask[$0] == 1 }
        func rowsOf(_ flat: [Float], width: Int) -> [Float] { valid.flatMap { flat[($0 * width)..<($0 * width + width)] } }
        assertClose(rowsOf(model.decoder.logits(acts).array, width: v), rowsOf(try fixture.outputs.floats("logits"), width: v),
                    atol: 1e-5, "\(modelPath) logits", file: file, line: line)
        assertClose(rowsOf(acts.embeddingOutput.array, width: c), rowsOf(try fixture.outputs.floats("inputs_embeds"), width: c),
                    atol: 1e-5, "\(modelPath) embeddings", file: file, line: line)
        for l in 0..<model.config.layerCount {
            assertClose(rowsOf(acts.residual(afterLayer: l).array, width: c),
                        rowsOf(try fixture.outputs.floats("residual_after_layer.\(l)"), width: c),
                        atol: 1e-5, "\(modelPath) residual after layer \(l)", file: file, line: line)
        }
        assertClose(dEmbeddings.array, try fixture.outputs.floats("grad_inputs_embeds"), atol: 1e-5,
                    "\(modelPath) dLoss/d(embeddings)", file: file, line: line)
        var worst: Float = 0
        for (name, _, grad) in parameters.namedParameters {
            let expected = try fixture.grads.floats(name)
            assertClose(grad.array, expected, atol: 1e-6, "\(modelPath) grad \(name)", file: file, line: line)
            worst = max(worst, maxAbsDiff(grad.array, expected))
        }
        print("forward-backward \(modelPath): loss \(result.meanNLL) (ref \(expectedLoss)), worst LoRA grad |diff| \(worst)")
    }

    func testSafetensorsModelMatchesEveryFixtureTensor() throws { try runCase(modelPath: "tiny-llama") }
    func testF32GGUFMatchesEveryFixtureTensor() throws { try runCase(modelPath: "tiny-llama/model-f32.gguf") }

    /// The PEFT-saved adapter loads and gives the fixture's logits; merged weights give the same.
    func testPEFTAdapterLoadsAndMergesToTheSameLogits() throws {
        let fixture = try Self.loadCase()
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        let parameters = try PEFTFormat.load(Fixtures.require("forward-backward/peft-adapter"), model: model.config)
        let reference = try fixture.outputs.floats("logits")
        let v = model.config.vocabularySize
        let valid = (0..<fixture.batch.rows).filter { fixture.batch.mask[$0] == 1 }
        func rowsOf(_ flat: [Float]) -> [Float] { valid.flatMap { flat[($0 * v)..<($0 * v + v)] } }

        model.decoder.adapter = LoRAAdapter(parameters)
        let adapted = try model.decoder.logits(for: fixture.batch).array
        assertClose(rowsOf(adapted), rowsOf(reference), atol: 1e-5, "PEFT adapter logits")
        model.decoder.adapter = nil
        parameters.merge(into: model.weights)
        let merged = try model.decoder.logits(for: fixture.batch).array
        assertClose(rowsOf(merged), rowsOf(adapted), atol: 1e-5, "merged vs adapter logits")
        parameters.merge(into: model.weights, sign: -1)
        let base = try model.decoder.logits(for: fixture.batch).array
        assertClose(rowsOf(base), rowsOf(try fixture.outputs.floats("logits_base")), atol: 1e-5, "unmerged = base logits")
    }

    /// Save in PEFT layout, load back: identical tensors; a wrong-rank adapter is refused by name.
    func testPEFTRoundTripAndShapeErrors() throws {
        let model = try LanguageModel(url: Fixtures.require("tiny-llama"))
        var rng = SplitMix64(seed: 3)
        let parameters = LoRAParameters(config: LoRAConfig(rank: 2, alpha: 4, targets: [.q, .v, .down]), model: model.config)
        parameters.initialiseLikePEFT(rng: &rng)
        for (_, value, _) in parameters.namedParameters where value.shape[1] == 2 { value.data[0] = 0.5 }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peft-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try PEFTFormat.save(parameters, to: dir)
        let loaded = try PEFTFormat.load(dir, model: model.config)
        XCTAssertEqual(loaded.config, parameters.config)
        for (a, b) in zip(loaded.namedParameters, parameters.namedParameters) { XCTAssertEqual(a.value.array, b.value.array, a.name) }

        // A config claiming another rank than the tensors have.
        let configURL = dir.appendingPathComponent("adapter_config.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        json["r"] = 3
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        XCTAssertThrowsError(try PEFTFormat.load(dir, model: model.config)) { error in
            XCTAssertTrue("\(error)".contains("lora_A") && "\(error)".contains("[3,"), "\(error)")
        }
        json["r"] = 2
        json["use_dora"] = true
        try JSONSerialization.data(withJSONObject: json).write(to: configURL)
        XCTAssertThrowsError(try PEFTFormat.load(dir, model: model.config)) { error in
            XCTAssertTrue("\(error)".contains("use_dora"), "\(error)")
        }
    }
}
