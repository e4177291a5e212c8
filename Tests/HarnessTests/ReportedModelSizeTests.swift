import Foundation
import XCTest
import Harness

/// A 13B model's tables stand beside the paper's 13B rows, a 7B model's beside its 7B rows.
final class ReportedModelSizeTests: HarnessTestCase {
    func config(layers: Int, hidden: Int, ffn: Int, heads: Int) -> String {
        """
        {"model_type": "llama", "hidden_size": \(hidden), "intermediate_size": \(ffn), "num_hidden_layers": \(layers),
         "num_attention_heads": \(heads), "num_key_value_heads": \(heads), "vocab_size": 32000, "rms_norm_eps": 1e-5,
         "max_position_embeddings": 4096}
        """
    }

    func render(modelConfig: String) throws -> String {
        let root = try TestEnv.tempDir()
        let model = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try modelConfig.write(to: model.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let store = try ResultsStore(path: root.appendingPathComponent("s.sqlite").path)
        let profile = try Profile.named("paper", in: TestEnv.repoPaths.profiles)
        return try Tables.render("2", paths: TestEnv.repoPaths, store: store, profile: profile, model: model.path,
                                 formats: [.markdown], write: false).text
    }

    func testThirteenBModelReadsTheThirteenBRows() throws {
        let thirteen = try render(modelConfig: config(layers: 40, hidden: 5120, ffn: 13824, heads: 40))
        XCTAssertTrue(thirteen.contains("39.99") && thirteen.contains("54.24"), thirteen)   // Table 2, LLaMA2-13B LoRA / HydraLoRA MMLU
        XCTAssertTrue(thirteen.contains("LLaMA2-13B"), thirteen)
        let seven = try render(modelConfig: config(layers: 32, hidden: 4096, ffn: 11008, heads: 32))
        XCTAssertTrue(seven.contains("29.43") && !seven.contains("39.99"), seven)
    }
}
