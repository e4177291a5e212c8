import XCTest
import Engine
import Models
import Adapters
import Data
import Training
import TestSupport

/// Counters (Table 7), resume == uninterrupted, non-finite stops, result JSON.
final class RunMechanicsTests: XCTestCase {
    /// Paper defaults n = 2, n_s = n_q = 8, k = 3: each iteration processes n·(k·n_s + n_q) = 64
    /// samples (1,000 iterations → 64,000, Table 7); 3 iterations → 192, counted by the loop.
    func testMetaLoRACountsMatchTable7Formula() throws {
        let model = try SyntheticTasks.tinyModel()
        let tasks = try SyntheticTasks.make()
        var hyper = TrainingHyperParameters.defaults(for: .metaLoRA, budgetPerTask: 40)
        hyper.rank = 4; hyper.iterations = 3; hyper.maxSeqLen = 64; hyper.evalExamplesPerTask = 2; hyper.checkpointEvery = 0
        XCTAssertEqual([hyper.tasksPerIteration, hyper.supportSize, hyper.querySize, hyper.adaptationSteps], [2, 8, 8, 3])
        let result = try Trainer.train(method: .metaLoRA, decoder: model.decoder, tasks: tasks, hyper: hyper,
                                       options: TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("counts")))
        XCTAssertEqual(result.optimizerSteps, 3)
        XCTAssertEqual(result.samplesProcessed, 3 * 2 * (3 * 8 + 8))
        XCTAssertEqual(result.samplesProcessed, 192)
        // Tokens are the real tokens of the processed sequences: between 192·shortest and 192·longest.
        let lengths = tasks.tokensByID.values.map(\.inputIDs.count)
        XCTAssertGreaterThanOrEqual(result.tokensProcessed, 192 * lengths.min()!)
        XCTAssertLessThanOrEqual(result.tokensProcessed, 192 * lengths.max()!)
        XCTAssertGreaterThan(result.wallSeconds, 0)
    }

    func testPaperDefaults() {
        let meta = TrainingHyperParameters.defaults(for: .metaLoRA)
        XCTAssertEqual(meta.iterations, 1000)
        XCTAssertEqual(meta.alpha, 5e-6); XCTAssertEqual(meta.beta, 2e-6)
        XCTAssertEqual(meta.rank, 16); XCTAssertEqual(meta.targets, [.q, .k, .v, .o])
        XCTAssertEqual(meta.maxSeqLen, 512)
        XCTAssertEqual(TrainingHyperParameters.defaults(for: .sta).adaptationSteps, 0)
        let lora = TrainingHyperParameters.defaults(for: .lora, budgetPerTask: 50)
        XCTAssertEqual(lora.lr, 2e-4); XCTAssertEqual(lora.batchSize, 8); XCTAssertEqual(lora.epochs, 5)
        XCTAssertEqual(TrainingHyperParameters.defaults(for: .lora, budgetPerTask: 100).epochs, 10)
        XCTAssertEqual(TrainingHyperParameters.defaults(for: .lora, budgetPerTask: nil).epochs, 1)
    }

    /// A run abandoned after step 3 (last checkpoint at step 2) and resumed gives the same loss
    /// curve, bit for bit, and the same θ as an uninterrupted run.
    func checkResume(_ method: TrainingMethod, steps: Int) throws {
        var hyper = SyntheticTasks.hyper(method)
        hyper.iterations = steps; hyper.epochs = 1; hyper.batchSize = 16
        hyper.checkpointEvery = 2; hyper.evalExamplesPerTask = 4

        let straightDir = SyntheticTasks.temporaryDirectory("straight-\(method.rawValue)")
        let straight = try Trainer.train(method: method, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(),
                                         hyper: hyper, options: TrainingOptions(outputDirectory: straightDir))

        let resumedDir = SyntheticTasks.temporaryDirectory("resumed-\(method.rawValue)")
        var interrupted = TrainingOptions(outputDirectory: resumedDir)
        interrupted.stopAfterStep = 3
        XCTAssertThrowsError(try Trainer.train(method: method, decoder: SyntheticTasks.tinyModel().decoder,
                                               tasks: SyntheticTasks.make(), hyper: hyper, options: interrupted)) { error in
            XCTAssertEqual(error as? TrainingError, .stoppedEarly(step: 3))
        }
        let saved = try XCTUnwrap(TrainingCheckpoint.load(from: interrupted.resolvedCheckpointDirectory))
        XCTAssertEqual(saved.state.step, 2)
        let resumed = try Trainer.train(method: method, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(),
                                        hyper: hyper, options: TrainingOptions(outputDirectory: resumedDir))
        XCTAssertEqual(resumed.record["resumed_from_step"], "2")
        XCTAssertEqual(resumed.lossCurve, straight.lossCurve, "\(method.rawValue): resumed loss curve differs")
        XCTAssertEqual(resumed.lossCurve.count, straight.lossCurve.count)
        XCTAssertEqual(resumed.finalEvalLoss, straight.finalEvalLoss)
        XCTAssertEqual(resumed.initialEvalLoss, straight.initialEvalLoss)
        XCTAssertEqual(resumed.optimizerSteps, straight.optimizerSteps)
        XCTAssertEqual(resumed.samplesProcessed, straight.samplesProcessed)
        XCTAssertEqual(resumed.tokensProcessed, straight.tokensProcessed)
        let a = try SafeTensorsFile(url: URL(fileURLWithPath: straight.adapterPath!).appendingPathComponent("adapter_model.safetensors"))
        let b = try SafeTensorsFile(url: URL(fileURLWithPath: resumed.adapterPath!).appendingPathComponent("adapter_model.safetensors"))
        for name in a.names { XCTAssertEqual(try a.floats(name), try b.floats(name), name) }
    }

    func testMetaLoRAResumeReproducesLossCurve() throws { try checkResume(.metaLoRA, steps: 5) }
    func testLoRAResumeReproducesLossCurve() throws { try checkResume(.lora, steps: 0) }

    /// A resume with different hyper-parameters is refused.
    func testResumeRefusesDifferentConfiguration() throws {
        var hyper = SyntheticTasks.hyper(.sta)
        hyper.iterations = 2; hyper.checkpointEvery = 1; hyper.evalExamplesPerTask = 2
        let dir = SyntheticTasks.temporaryDirectory("mismatch")
        _ = try Trainer.train(method: .sta, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(), hyper: hyper,
                              options: TrainingOptions(outputDirectory: dir))
        hyper.beta *= 2
        XCTAssertThrowsError(try Trainer.train(method: .sta, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(),
                                               hyper: hyper, options: TrainingOptions(outputDirectory: dir))) { error in
            guard case .checkpointMismatch? = error as? TrainingError else { return XCTFail("\(error)") }
        }
    }

    /// A huge adaptation rate blows θ_i up: training stops naming the step and the tensor.
    func testNonFiniteStopsTraining() throws {
        var hyper = SyntheticTasks.hyper(.metaLoRA)
        hyper.iterations = 3; hyper.alpha = 1e30; hyper.evalExamplesPerTask = 2
        XCTAssertThrowsError(try Trainer.train(method: .metaLoRA, decoder: SyntheticTasks.tinyModel().decoder,
                                               tasks: SyntheticTasks.make(), hyper: hyper,
                                               options: TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("nan")))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("step 1"), text)
            switch error as? TrainingError {
            case .nonFinite?, .nonFiniteLoss?: break
            default: XCTFail("expected a non-finite error, got \(error)")
            }
        }
    }

    func testResultJSONLine() throws {
        var hyper = SyntheticTasks.hyper(.sta)
        hyper.iterations = 2; hyper.evalExamplesPerTask = 2
        var reports: [TrainingProgress] = []
        var options = TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("json"))
        options.progress = { reports.append($0) }
        let result = try Trainer.train(method: .sta, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(),
                                       hyper: hyper, options: options)
        XCTAssertEqual(reports.map(\.step), [1, 2])
        XCTAssertTrue(reports[0].line.contains("step 1/2"), reports[0].line)
        let line = result.toJSONLine()
        XCTAssertFalse(line.contains("\n"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for key in ["method", "optimizer_steps", "samples_processed", "tokens_processed", "wall_s",
                    "initial_eval_loss", "final_eval_loss", "adapter"] {
            XCTAssertNotNil(object[key], key)
        }
        XCTAssertEqual(object["method"] as? String, "sta")
        XCTAssertEqual(object["optimizer_steps"] as? Int, 2)

        // No response token left after truncation makes the held-out loss NaN: still one JSON line.
        var empty = result
        empty.initialEvalLoss = .nan; empty.finalEvalLoss = .infinity
        let nanObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(empty.toJSONLine().utf8)) as? [String: Any])
        XCTAssertEqual(nanObject["initial_eval_loss"] as? String, "nan")
        XCTAssertEqual(nanObject["final_eval_loss"] as? String, "inf")
    }

    func testIterationBenchmarkRunsBothLoops() throws {
        let model = try SyntheticTasks.tinyModel()
        let timing = try MetaLoRABenchmark.iterationSeconds(decoder: model.decoder, seqLen: 16, setSize: 2, adaptationSteps: 1)
        XCTAssertGreaterThan(timing.sequentialSeconds, 0)
        XCTAssertGreaterThan(timing.batchedSeconds, 0)
        XCTAssertNil(model.decoder.adapter)
    }
}
