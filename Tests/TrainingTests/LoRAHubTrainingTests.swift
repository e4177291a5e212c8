import XCTest
import Engine
import Models
import Adapters
import Data
import Training
import TestSupport

/// LoRAHub end to end on the tiny model: upstream LoRAs (resumable), the composition search on the
/// training mixture, counters, outputs; and `metalora train --method lorahub`'s path on real data.
final class LoRAHubTrainingTests: XCTestCase {
    /// Upstream LoRAs of 2 steps each (budget 40, batches of 16, capped at 2 steps): 8 steps for 4 tasks.
    func upstreamHyper() -> TrainingHyperParameters {
        var h = SyntheticTasks.hyper(.loraHub)
        h.epochs = 1; h.batchSize = 16; h.maxSteps = 2
        return h
    }

    func prepare(_ folder: URL, hyper: TrainingHyperParameters, stopAfterStep: Int? = nil) throws -> [UpstreamLoRA] {
        let tasks = try SyntheticTasks.make()
        return try UpstreamLoRAs.prepare(taskIDs: tasks.taskIDs, decoder: SyntheticTasks.tinyModel().decoder, tasks: tasks,
                                         hyper: hyper, folder: folder, baseModel: "tiny", stopAfterStep: stopAfterStep)
    }

    func values(_ p: LoRAParameters) -> [[Float]] { p.namedParameters.map(\.value.array) }

    /// A run killed during the third upstream LoRA keeps the two finished ones: the re-run reloads
    /// them (no retraining) and trains the rest, ending with the same adapters as an uninterrupted run.
    func testUpstreamResumeSkipsFinishedLoRAs() throws {
        let hyper = upstreamHyper()
        let straight = try prepare(SyntheticTasks.temporaryDirectory("upstream-straight"), hyper: hyper)
        XCTAssertEqual(straight.map(\.counters.optimizerSteps), [2, 2, 2, 2])
        XCTAssertEqual(straight.map(\.reused), [false, false, false, false])

        let folder = SyntheticTasks.temporaryDirectory("upstream-killed")
        XCTAssertThrowsError(try prepare(folder, hyper: hyper, stopAfterStep: 5)) {
            XCTAssertEqual($0 as? TrainingError, .stoppedEarly(step: 5))
        }
        let ids = try SyntheticTasks.make().taskIDs
        let finished = ids.map { FileManager.default.fileExists(atPath: folder.appendingPathComponent("\($0)/upstream.json").path) }
        XCTAssertEqual(finished, [true, true, false, false])

        let resumed = try prepare(folder, hyper: hyper)
        XCTAssertEqual(resumed.map(\.reused), [true, true, false, false])
        for (a, b) in zip(straight, resumed) {
            XCTAssertEqual(values(a.parameters), values(b.parameters), a.taskID)
            XCTAssertEqual(a.counters.samplesProcessed, b.counters.samplesProcessed)
            XCTAssertEqual(a.lossCurve, b.lossCurve)
        }
        // Everything finished: a third run trains nothing; the saved adapters are PEFT folders.
        let again = try prepare(folder, hyper: hyper)
        XCTAssertEqual(again.map(\.reused), [true, true, true, true])
        let peft = try PEFTFormat.load(folder.appendingPathComponent(ids[3]), model: SyntheticTasks.tinyModel().config)
        XCTAssertEqual(values(peft), values(straight[3].parameters))

        // A finished upstream LoRA made with other hyper-parameters is not silently reused ...
        var other = hyper
        other.lr *= 2
        XCTAssertThrowsError(try prepare(folder, hyper: other)) { XCTAssertTrue("\($0)".contains("trained with other hyper-parameters"), "\($0)") }
        // ... while knobs of the later stages (search budget, held-out scoring) do not invalidate it.
        var searchOnly = hyper
        searchOnly.searchSteps = 7; searchOnly.evalExamplesPerTask = 3
        XCTAssertEqual(try prepare(folder, hyper: searchOnly).map(\.reused), [true, true, true, true])
    }

    func testUpstreamTasksArePickedWithTheSeed() {
        let ids = (1...30).map { "task\($0)" }
        let a = LoRAHubDefaults.upstreamTasks(ids, limit: nil, seed: 1)
        XCTAssertEqual(a.count, 20, "default: LoRAHub's 20")
        XCTAssertEqual(a, ids.filter(a.contains), "kept in the run's task order")
        XCTAssertEqual(a, LoRAHubDefaults.upstreamTasks(ids, limit: nil, seed: 1))
        XCTAssertNotEqual(a, LoRAHubDefaults.upstreamTasks(ids, limit: nil, seed: 2))
        XCTAssertEqual(LoRAHubDefaults.upstreamTasks(ids, limit: 3, seed: 1).count, 3)
        XCTAssertEqual(LoRAHubDefaults.upstreamTasks(ids, limit: 50, seed: 1), ids)
        XCTAssertEqual(LoRAHubDefaults.upstreamTasks(Array(ids.prefix(5)), limit: nil, seed: 1), Array(ids.prefix(5)))
    }

    /// The standalone run composes the upstream LoRAs for the training mixture: it lowers the
    /// held-out loss, and its counters are exactly the upstream training plus the search passes.
    func testStandaloneRunLowersHeldOutLossAndCountsItsWork() throws {
        let model = try SyntheticTasks.tinyModel()
        let tasks = try SyntheticTasks.make()
        var hyper = SyntheticTasks.hyper(.loraHub)
        hyper.epochs = SyntheticTasks.isDebugBuild ? 2 : 6
        hyper.searchSteps = 12
        let output = SyntheticTasks.temporaryDirectory("lorahub")
        let result = try Trainer.train(method: .loraHub, decoder: model.decoder, tasks: tasks, hyper: hyper,
                                       options: TrainingOptions(outputDirectory: output))
        print("lorahub: held-out loss \(result.initialEvalLoss) → \(result.finalEvalLoss); weights \(result.record["lorahub_weights"] ?? "")")
        XCTAssertLessThan(result.finalEvalLoss, result.initialEvalLoss - 0.02)

        // Counters: 4 upstream LoRAs × epochs × 40/8 steps; samples and tokens add the search's 12 × 5 forwards.
        let stepsPerTask = hyper.epochs * 40 / 8
        XCTAssertEqual(result.optimizerSteps, 4 * stepsPerTask)
        XCTAssertEqual(result.record["lorahub_upstream_samples"], String(4 * 40 * hyper.epochs))
        XCTAssertEqual(result.record["lorahub_search_samples"], String(12 * 5))
        XCTAssertEqual(result.samplesProcessed, 4 * 40 * hyper.epochs + 12 * 5)
        let targetIDs = try XCTUnwrap(result.record["lorahub_target_examples"]).split(separator: ",").map(String.init)
        XCTAssertEqual(targetIDs.count, 5)
        let targetTokens = targetIDs.reduce(0) { $0 + tasks.tokensByID[$1]!.inputIDs.count }
        XCTAssertEqual(result.record["lorahub_search_tokens"], String(12 * targetTokens))
        XCTAssertEqual(result.tokensProcessed, Int(try XCTUnwrap(result.record["lorahub_upstream_tokens"]))! + 12 * targetTokens)
        XCTAssertEqual(result.lossCurve.filter { $0.split == "train" }.count, result.optimizerSteps)
        XCTAssertEqual(result.lossCurve.filter { $0.split == "search" }.count, 12)

        // Outputs: the weights per upstream task, the upstream LoRAs and the composed adapter (PEFT),
        // which is Σ w_k θ_k of the saved upstream LoRAs.
        let record = try XCTUnwrap(CompositionRecord.read(output.appendingPathComponent("lorahub_weights.json")))
        XCTAssertEqual(record.upstreamTasks, tasks.taskIDs)
        XCTAssertEqual(Set(record.weightsByTask.keys), Set(tasks.taskIDs))
        XCTAssertEqual(record.targetExamples, targetIDs)
        XCTAssertEqual(record.history.count, 12)
        XCTAssertTrue(record.weights.allSatisfy { abs($0) <= 1.5 })
        let upstream = try tasks.taskIDs.map { try PEFTFormat.load(output.appendingPathComponent("upstream/\($0)"), model: model.config) }
        let composed = try PEFTFormat.load(URL(fileURLWithPath: try XCTUnwrap(result.adapterPath)), model: model.config)
        let expected = LoRAHub.compose(upstream: upstream, weights: record.weights, model: model.config)
        for (x, y) in zip(composed.namedParameters, expected.namedParameters) { assertClose(x.value.array, y.value.array, atol: 1e-6, x.name) }
        XCTAssertTrue(result.toJSONLine().contains("\"optimizer_steps\":\(result.optimizerSteps)"))

        // A re-run reuses every upstream LoRA and repeats the (deterministic) search.
        let again = try Trainer.train(method: .loraHub, decoder: model.decoder, tasks: tasks, hyper: hyper,
                                      options: TrainingOptions(outputDirectory: output))
        XCTAssertEqual(again.record["lorahub_upstream_reused"], tasks.taskIDs.joined(separator: ","))
        XCTAssertEqual(again.record["lorahub_weights"], result.record["lorahub_weights"])
        XCTAssertEqual(again.finalEvalLoss, result.finalEvalLoss)
        XCTAssertEqual(again.samplesProcessed, result.samplesProcessed)
    }

    /// `metalora train --method lorahub` runs `TrainingSession.run`: real five-task data on the tiny
    /// GGUF model (byte-level tokenizer), smoke-sized.
    func testTrainSessionOnMirrorData() throws {
        let data = Fixtures.packageRoot.appendingPathComponent("data")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("gsm8k").path) else { throw XCTSkip("no data mirror at \(data.path)") }
        var hyper = TrainingHyperParameters.defaults(for: .loraHub, budgetPerTask: 8)
        hyper.rank = 4; hyper.loraAlpha = 8; hyper.epochs = 1; hyper.lr = 1e-2
        hyper.maxSeqLen = 1024; hyper.evalExamplesPerTask = 2; hyper.searchSteps = 4; hyper.nLoras = 2
        let output = SyntheticTasks.temporaryDirectory("lorahub-session")
        let request = TrainingRequest(method: .loraHub, setting: "five-task", tasks: ["gsm8k", "siqa", "piqa"],
                                      modelPath: try Fixtures.require("tiny-llama/model-f32.gguf").path,
                                      dataDirectory: DataDirectory(root: data), hyper: hyper,
                                      options: TrainingOptions(outputDirectory: output))
        let result = try TrainingSession.run(request)
        print(result.toJSONLine())
        // n_loras 2 of 3 tasks: 2 upstream LoRAs of one step (8 examples, batch 8); 4 search passes over 5 targets.
        let upstream = try XCTUnwrap(result.record["lorahub_upstream_tasks"]).split(separator: ",").map(String.init)
        XCTAssertEqual(upstream.count, 2)
        XCTAssertEqual(result.optimizerSteps, 2)
        XCTAssertEqual(result.samplesProcessed, 2 * 8 + 4 * 5)
        XCTAssertTrue(result.initialEvalLoss.isFinite && result.finalEvalLoss.isFinite)
        XCTAssertEqual(Set(result.finalEvalLossByTask.keys), ["gsm8k", "siqa", "piqa"])
        for id in upstream {
            XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("upstream/\(id)/adapter_model.safetensors").path))
        }
        XCTAssertNotNil(CompositionRecord.read(output.appendingPathComponent("lorahub_weights.json")))
    }
}
