import XCTest
import Engine
import Models
import Adapters
import TestSupport

final class LoRAMoEEndToEndTests: XCTestCase {
    /// Sequences of different tasks in one batch; gradients of experts, gate and the task-embedding
    /// table (rows of the tasks present) against finite differences of the loss.
    func testDecoderGradientsMatchFiniteDifferences() throws {
        let model = try tinyModel()
        let adapter = LoRAMoEAdapter(model: model.config, tasks: 4, rank: 4, alpha: 8, experts: 2, taskEmbeddingDim: 8,
                                     targets: [.q, .v, .up], seed: 1)
        randomise(adapter, std: 0.3, seed: 2)
        try checkDecoderGradients(adapter, model: model, batch: endToEndBatch(groups: [2, 0, 3, 2]),
                                  names: ["layers.0.self_attn.q_proj", "layers.1.mlp.up_proj"])
        // Rows of tasks absent from the batch get no gradient.
        let grad = try XCTUnwrap(adapter.namedParameters.first { $0.name.hasSuffix("layers.0.self_attn.q_proj.lora_task_embedding.weight") }).grad
        let d = grad.shape[1]
        XCTAssertTrue(grad.array[(1 * d)..<(2 * d)].allSatisfy { $0 == 0 })
        XCTAssertTrue(grad.array[(2 * d)..<(3 * d)].contains { $0 != 0 })
    }

    func testStartsAtTheBaseModelAndAdamWLowersTheLoss() throws {
        let model = try tinyModel()
        let adapter = LoRAMoEAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, experts: 2, taskEmbeddingDim: 8, seed: 3)
        try checkStartsAtBaseAndTrains(adapter, model: model, batch: endToEndBatch(groups: [0, 1, 2, 1]), label: "LoRA-MoE")
    }

    func testSaveLoadRoundTripAndRefusals() throws {
        let model = try tinyModel()
        let adapter = LoRAMoEAdapter(model: model.config, tasks: 3, rank: 4, alpha: 8, experts: 2, taskEmbeddingDim: 8,
                                     targets: [.k, .down], seed: 4)
        randomise(adapter, std: 0.1, seed: 5)
        let (loaded, dir) = try saveAndReload(adapter, prefix: "loramoe") { try LoRAMoEAdapter.load($0, model: model.config) }
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(loaded.kind, "loramoe")
        XCTAssertEqual(loaded.config, adapter.config)
        XCTAssertTrue(adapter.namedParameters.map(\.name).contains("model.layers.1.mlp.down_proj.lora_A.1.weight"))
        XCTAssertThrowsError(try MultiHeadFormat.load(dir, model: model.config)) { XCTAssertTrue("\($0)".contains("kind"), "\($0)") }
        // A stray tensor is refused by name.
        var tensors: [String: Tensor] = [:]
        for (n, v, _) in adapter.namedParameters { tensors[n] = v }
        tensors["model.layers.0.self_attn.q_proj.lora_gate.weight"] = Tensor(shape: [2, 8])
        try SafeTensorsFile.write(tensors, to: dir.appendingPathComponent("adapter_model.safetensors"))
        XCTAssertThrowsError(try LoRAMoEAdapter.load(dir, model: model.config)) { XCTAssertTrue("\($0)".contains("q_proj.lora_gate"), "\($0)") }
    }
}
