import XCTest
import Engine
import Models
import Adapters
import Data
import Training
import TestSupport

/// A few hundred steps of each method on the tiny model lower the held-out loss of its tasks.
final class TrainingLowersLossTests: XCTestCase {
    /// Steps: a few hundred in release; debug builds (unoptimised SIMD kernels) run far fewer.
    static let iterations = SyntheticTasks.isDebugBuild ? 25 : 200
    static let epochs = SyntheticTasks.isDebugBuild ? 2 : 10
    /// A random tiny model (weights ~N(0, 0.02), normed hidden state) can move its logits only a
    /// little with rank-4 attention adapters: the held-out loss (≈ ln 256 at start) falls by
    /// ~0.25 in debug's few dozen steps and ~0.4 in release's few hundred.
    static let requiredDrop = SyntheticTasks.isDebugBuild ? 0.15 : 0.3

    func train(_ method: TrainingMethod, loop: MetaLoRALoop = .batched) throws -> TrainingResult {
        let model = try SyntheticTasks.tinyModel()
        let tasks = try SyntheticTasks.make()
        var hyper = SyntheticTasks.hyper(method)
        hyper.iterations = Self.iterations
        hyper.epochs = Self.epochs
        var options = TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory(method.rawValue))
        options.loop = loop
        let result = try Trainer.train(method: method, decoder: model.decoder, tasks: tasks, hyper: hyper, options: options)
        print("\(method.rawValue): held-out loss \(result.initialEvalLoss) → \(result.finalEvalLoss) in \(result.optimizerSteps) steps, \(result.samplesProcessed) samples, \(result.tokensProcessed) tokens, \(String(format: "%.2f", result.wallSeconds)) s")
        XCTAssertLessThan(result.finalEvalLoss, result.initialEvalLoss - Self.requiredDrop, "\(method.rawValue) should lower the held-out loss")
        // The adapter is saved in PEFT layout and loads back.
        let adapter = try XCTUnwrap(result.adapterPath)
        let loaded = try PEFTFormat.load(URL(fileURLWithPath: adapter), model: model.config)
        XCTAssertEqual(loaded.config.rank, hyper.rank)
        // The loss curve is written next to it, one JSON object per line.
        let curve = try String(contentsOfFile: try XCTUnwrap(result.lossCurvePath), encoding: .utf8)
        XCTAssertEqual(curve.split(separator: "\n").count, result.lossCurve.count)
        return result
    }

    func testMetaLoRALowersHeldOutLoss() throws {
        let r = try train(.metaLoRA)
        XCTAssertEqual(r.optimizerSteps, Self.iterations)
        XCTAssertEqual(r.samplesProcessed, Self.iterations * 2 * (2 * 4 + 4))
    }

    func testSTALowersHeldOutLoss() throws {
        let r = try train(.sta)
        XCTAssertEqual(r.samplesProcessed, Self.iterations * 2 * 4)
    }

    func testLoRALowersHeldOutLoss() throws {
        let r = try train(.lora)
        XCTAssertEqual(r.optimizerSteps, Self.epochs * (4 * 40 / 8))
        XCTAssertEqual(r.samplesProcessed, Self.epochs * 4 * 40)
    }

    func testBaseReportsUntrainedLoss() throws {
        let model = try SyntheticTasks.tinyModel()
        let tasks = try SyntheticTasks.make()
        let result = try Trainer.train(method: .base, decoder: model.decoder, tasks: tasks, hyper: SyntheticTasks.hyper(.base),
                                       options: TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("base")))
        XCTAssertEqual(result.optimizerSteps, 0)
        XCTAssertEqual(result.initialEvalLoss, result.finalEvalLoss)
        XCTAssertEqual(result.initialEvalLoss, log(256), accuracy: 0.3, "a random tiny model is near uniform over 256 bytes")
    }
}
