import XCTest
import Engine
import Models
import Data
import Training
import TestSupport

/// Inputs that would otherwise end in a silent wrong number: answers cut to nothing, infinite rates,
/// damaged or foreign checkpoints.
final class TrainingReliabilityTests: XCTestCase {
    func quickHyper() -> TrainingHyperParameters {
        var h = SyntheticTasks.hyper(.lora)
        h.epochs = 1; h.maxSteps = 2; h.evalExamplesPerTask = 2
        return h
    }

    // MARK: answers cut by the maximum length

    func testEveryAnswerCutFailsNamingTheSettingAndCounts() throws {
        let tasks = try SyntheticTasks.make(maxLength: 4)
        XCTAssertThrowsError(try tasks.checkAnswerTokens()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("all 160 training examples") && text.contains("--max-seq-len") && text.contains("max_seq_len"), text)
        }
        var hyper = quickHyper(); hyper.maxSeqLen = 4
        XCTAssertThrowsError(try Trainer.train(method: .lora, decoder: SyntheticTasks.tinyModel().decoder, tasks: tasks, hyper: hyper,
                                               options: TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("cut-all")))) { error in
            guard case .answersCut? = error as? TrainingError else { return XCTFail("\(error)") }
        }
    }

    func testOneTaskCutEntirelyFailsNamingTheTask() throws {
        let tasks = try SyntheticTasks.make(longPromptEvery: ["upper": 1])
        XCTAssertThrowsError(try tasks.checkAnswerTokens()) { error in
            XCTAssertTrue("\(error)".contains("task upper") && "\(error)".contains("all 40"), "\(error)")
        }
    }

    func testSomeAnswersCutWarnAboveTheThresholdOnly() throws {
        let many = try SyntheticTasks.make(longPromptEvery: ["reverse": 2, "shift": 3])
        let warning = try XCTUnwrap(try many.checkAnswerTokens())
        XCTAssertTrue(warning.hasPrefix("warning: \(many.truncation.withoutResponseTokens) of 160 training examples")
                      && warning.contains("more than 5%") && warning.contains("--max-seq-len"), warning)
        var logged: [String] = []
        var options = TrainingOptions(outputDirectory: SyntheticTasks.temporaryDirectory("cut-some"))
        options.log = { logged.append($0) }
        _ = try Trainer.train(method: .lora, decoder: SyntheticTasks.tinyModel().decoder, tasks: many, hyper: quickHyper(), options: options)
        XCTAssertEqual(logged.filter { $0.hasPrefix("warning:") }.count, 1, "\(logged)")
        XCTAssertNil(try SyntheticTasks.make().checkAnswerTokens(), "nothing cut, nothing said")
    }

    // MARK: rates

    func testNonFiniteRatesAreRefusedBeforeAnyCompute() {
        for (name, set) in [("learning rate", { (h: inout TrainingHyperParameters) in h.lr = .infinity }),
                            ("β (beta)", { (h: inout TrainingHyperParameters) in h.beta = .nan }),
                            ("weight decay", { (h: inout TrainingHyperParameters) in h.weightDecay = .infinity })] {
            var h = TrainingHyperParameters.defaults(for: .metaLoRA)
            set(&h)
            XCTAssertThrowsError(try h.validate(for: .metaLoRA), name) { error in
                XCTAssertTrue("\(error)".contains("\(name) must be a finite number"), "\(error)")
            }
        }
    }

    // MARK: checkpoints

    /// A checkpoint made at step 1 of 2, for reuse by the tests below.
    func checkpointedRun(_ name: String, modelSHA256: String = "model-a") throws -> (dir: URL, hyper: TrainingHyperParameters) {
        var hyper = quickHyper(); hyper.checkpointEvery = 1
        let dir = SyntheticTasks.temporaryDirectory(name)
        var options = TrainingOptions(outputDirectory: dir)
        options.stopAfterStep = 1
        options.modelSHA256 = modelSHA256
        XCTAssertThrowsError(try Trainer.train(method: .lora, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(),
                                               hyper: hyper, options: options))
        return (dir, hyper)
    }

    func resume(_ dir: URL, _ hyper: TrainingHyperParameters, modelSHA256: String = "model-a",
                policy: UnusableCheckpointPolicy = .fail, log: ((String) -> Void)? = nil) throws -> TrainingResult {
        var options = TrainingOptions(outputDirectory: dir)
        options.modelSHA256 = modelSHA256
        options.unusableCheckpoint = policy
        options.log = log
        return try Trainer.train(method: .lora, decoder: SyntheticTasks.tinyModel().decoder, tasks: SyntheticTasks.make(),
                                 hyper: hyper, options: options)
    }

    func testFlippedByteInTheTensorFileIsRefused() throws {
        let (dir, hyper) = try checkpointedRun("flip-tensors")
        let folder = dir.appendingPathComponent("checkpoint")
        let state = try XCTUnwrap(try TrainingCheckpoint.load(from: folder)).state
        let tensors = folder.appendingPathComponent(state.tensorsFile)
        var bytes = try Data(contentsOf: tensors)
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: tensors)
        XCTAssertThrowsError(try resume(dir, hyper)) { error in
            guard case .checkpointUnreadable? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(state.tensorsFile) && "\(error)".contains("damaged"), "\(error)")
        }
    }

    func testFlippedByteInTheStateIsRefused() throws {
        let (dir, hyper) = try checkpointedRun("flip-state")
        let stateURL = dir.appendingPathComponent("checkpoint/checkpoint.json")
        var text = try String(contentsOf: stateURL, encoding: .utf8)
        // A digit of the recorded initial loss: still valid JSON, a different number.
        let range = try XCTUnwrap(text.range(of: #""initialEvalLoss" : \d"#, options: .regularExpression))
        let digit = text[text.index(before: range.upperBound)]
        text.replaceSubrange(text.index(before: range.upperBound)..<range.upperBound, with: digit == "9" ? "8" : String(Character(UnicodeScalar(digit.asciiValue! + 1))))
        try text.write(to: stateURL, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try resume(dir, hyper)) { error in
            XCTAssertTrue("\(error)".contains("checkpoint.json is damaged"), "\(error)")
        }
    }

    func testCheckpointOfAnotherModelIsRefusedOrDeclaredRestart() throws {
        let (dir, hyper) = try checkpointedRun("other-model")
        XCTAssertThrowsError(try resume(dir, hyper, modelSHA256: "model-b")) { error in
            guard case .checkpointMismatch? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("sha256 model-a") && "\(error)".contains("--no-resume"), "\(error)")
        }
        // The harness's policy: set the checkpoint aside, say so, and start again from step 0.
        var logged: [String] = []
        let restarted = try resume(dir, hyper, modelSHA256: "model-b", policy: .restart) { logged.append($0) }
        XCTAssertNil(restarted.record["resumed_from_step"])
        XCTAssertTrue(logged.contains { $0.contains("starts again from step 0") }, "\(logged)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint/checkpoint.json.unusable").path))
        // The same model resumes as before.
        let (same, sameHyper) = try checkpointedRun("same-model")
        XCTAssertEqual(try resume(same, sameHyper).record["resumed_from_step"], "1")
    }

    /// A checkpoint write that fails leaves no temporary file and the previous checkpoint intact.
    func testFailedCheckpointWriteCleansUpAndKeepsThePreviousOne() throws {
        let (dir, _) = try checkpointedRun("failed-write")
        let folder = dir.appendingPathComponent("checkpoint")
        var state = try XCTUnwrap(try TrainingCheckpoint.load(from: folder)).state
        state.step = 2
        // Something in the way of the new tensor file's temporary: its write fails.
        let blocker = folder.appendingPathComponent("checkpoint-step0000002.safetensors.tmp")
        try FileManager.default.createDirectory(at: blocker.appendingPathComponent("inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try TrainingCheckpoint.save(state, parameters: [], optimizer: AdamW(groups: []), to: folder)) { error in
            guard case .checkpointUnwritable? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(folder.path), "\(error)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertFalse(left.contains { $0.hasSuffix(".tmp") }, "\(left)")
        XCTAssertEqual(try TrainingCheckpoint.load(from: folder)?.state.step, 1)
    }
}
