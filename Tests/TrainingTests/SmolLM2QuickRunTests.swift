import XCTest
import Engine
import Models
import Data
import Training
import TestSupport

/// Outside the regular suite (set METALORA_SMOLLM2_TRAIN=1, release build): short runs of
/// MeTA-LoRA, -STA and LoRA on SmolLM2-135M with the five-task data, printing held-out losses
/// and wall times; and one MeTA-LoRA iteration timed with both loops (METALORA_SMOLLM2_BENCH=1).
/// Knobs: METALORA_TRAIN_STEPS (iterations / steps), METALORA_TRAIN_METHODS (comma list).
final class SmolLM2QuickRunTests: XCTestCase {
    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func quickHyper(_ method: TrainingMethod, steps: Int) -> TrainingHyperParameters {
        var h = TrainingHyperParameters.defaults(for: method, budgetPerTask: 50)
        h.maxSeqLen = 256
        h.iterations = steps
        let setSize = Int(environment["METALORA_TRAIN_SET_SIZE"] ?? "") ?? 4
        h.supportSize = setSize; h.querySize = setSize
        h.adaptationSteps = Int(environment["METALORA_TRAIN_K"] ?? "") ?? 2
        h.maxSeqLen = Int(environment["METALORA_TRAIN_MAX_LENGTH"] ?? "") ?? 256
        // Rates scaled up for so few steps (the paper's α = 5e-6, β = 2e-6, lr 2e-4 assume 1,000 iterations / 5 epochs).
        h.alpha = Double(environment["METALORA_TRAIN_ALPHA"] ?? "") ?? 1e-3
        h.beta = Double(environment["METALORA_TRAIN_BETA"] ?? "") ?? 1e-3
        h.lr = Double(environment["METALORA_TRAIN_LR"] ?? "") ?? 1e-3
        h.evalExamplesPerTask = Int(environment["METALORA_TRAIN_EVAL"] ?? "") ?? 8
        h.checkpointEvery = 10
        h.seed = 1
        return h
    }

    func testQuickRunsLowerHeldOutLoss() throws {
        guard environment["METALORA_SMOLLM2_TRAIN"] == "1" else { throw XCTSkip("set METALORA_SMOLLM2_TRAIN=1") }
        let modelURL = try Fixtures.smolLM2()
        let steps = Int(environment["METALORA_TRAIN_STEPS"] ?? "") ?? 20
        let methods = try (environment["METALORA_TRAIN_METHODS"] ?? "meta-lora,sta,lora").split(separator: ",").map { try TrainingMethod.named(String($0)) }
        for method in methods {
            var hyper = quickHyper(method, steps: steps)
            if method == .lora { hyper.epochs = 1; hyper.batchSize = Int(environment["METALORA_TRAIN_BATCH"] ?? "") ?? 8; hyper.maxSteps = steps }
            var options = TrainingOptions(outputDirectory: URL(fileURLWithPath: "/tmp/metalora-smollm2-quick/\(method.rawValue)-\(steps)"))
            options.progress = TrainingProgress.stderrPrinter
            let request = TrainingRequest(method: method, setting: "five-task", modelPath: modelURL.path,
                                          dataDirectory: DataDirectory(root: Fixtures.packageRoot.appendingPathComponent("data")),
                                          hyper: hyper, options: options)
            var result = try TrainingSession.run(request)
            result.lossCurve = []
            print("SMOLLM2 \(method.rawValue): " + result.toJSONLine() + " truncation: \(result.record["truncation"] ?? "?") prompt: \(result.record["prompt_format"] ?? "?") by task: \(result.finalEvalLossByTask)")
            XCTAssertLessThan(result.finalEvalLoss, result.initialEvalLoss, method.rawValue)
        }
    }

    /// One paper-default iteration (n = 2, k = 3, n_s = n_q = 8, 256-token sequences) with each loop.
    func testIterationTimeBatchedVersusSequential() throws {
        guard environment["METALORA_SMOLLM2_BENCH"] == "1" else { throw XCTSkip("set METALORA_SMOLLM2_BENCH=1") }
        let model = try LanguageModel(url: try Fixtures.smolLM2())
        let seqLen = Int(environment["METALORA_BENCH_SEQLEN"] ?? "") ?? 256
        let timing = try MetaLoRABenchmark.iterationSeconds(decoder: model.decoder, seqLen: seqLen)
        print("SMOLLM2 meta_lora_iteration_s (seqLen \(seqLen)): sequential \(timing.sequentialSeconds) batched \(timing.batchedSeconds) (threads \(Parallel.threads))")
    }
}
