import XCTest
import ArgumentParser
import Engine
import Training
import Harness
import TestSupport

/// `metalora train SPEC.yaml:ENTRY [--profile P] key=value …` and the plain form, parsed by the
/// same `TrainOptions` the executable embeds: the spec form trains the plan's cell (same config
/// hash), overrides change value and hash, and mistakes are usage errors naming what is wrong.
final class TrainCommandLineTests: HarnessTestCase {
    func invocation(_ argv: [String], paths: HarnessPaths = TestEnv.repoPaths) throws -> TrainOptions.Invocation {
        try TrainOptions.parse(argv).invocation(paths: paths, log: { _ in })
    }

    /// The usage error's message (exit 2), or a failure when the call succeeds or fails otherwise.
    func usageError(_ argv: [String], paths: HarnessPaths = TestEnv.repoPaths, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try invocation(argv, paths: paths)
            XCTFail("\(argv) succeeded", file: file, line: line)
            return ""
        } catch {
            XCTAssertEqual(TrainOptions.exitCode(for: error), .validationFailure, "\(error)", file: file, line: line)
            return "\(error)"
        }
    }

    func planCell(_ spec: String, _ label: String, profile: String, paths: HarnessPaths = TestEnv.repoPaths,
                  where keep: (ResolvedCell) -> Bool = { _ in true }) throws -> ResolvedCell {
        let s = try ExperimentSpec.load(paths.resolve(spec))
        let cells = try Planner.plan(s, profile: try Profile.named(profile, in: paths.profiles))
        return try XCTUnwrap(cells.first { $0.methodLabel == label && keep($0) })
    }

    func testSpecEntryIsThePlansCell() throws {
        for (entry, label) in [("MeTA-LoRA", "MeTA-LoRA"), ("meta-lora", "MeTA-LoRA"), ("LoRA", "LoRA"), ("hydralora", "HydraLoRA"), ("Base", "Base")] {
            for profile in ["smoke", "quick"] {
                let planned = try planCell("experiments/table2.yaml", label, profile: profile)
                let inv = try invocation(["experiments/table2.yaml:\(entry)", "--profile", profile, "--output", "/tmp/unused"])
                let cell = try XCTUnwrap(inv.cell)
                XCTAssertEqual(cell.configHash, planned.configHash, "\(entry) on \(profile)")
                XCTAssertEqual(inv.request.hyper, planned.resolved, "\(entry) on \(profile)")
                XCTAssertEqual(inv.request.hyper.budgetPerTask, planned.examplesPerTask)
                XCTAssertEqual(inv.request.method.rawValue, planned.method)
                XCTAssertEqual(inv.request.modelPath, planned.model)
                XCTAssertEqual(inv.request.options.record["config_hash"], planned.configHash)
                XCTAssertTrue(inv.notes.last!.contains("config hash \(planned.configHash.prefix(12))"), inv.notes.last!)
            }
        }
        // The smoke profile's thread count is the default.
        XCTAssertEqual(try invocation(["experiments/table2.yaml:LoRA", "--profile", "smoke"]).threads, 1)
    }

    func testOverridesChangeTheValueAndTheHash() throws {
        let planned = try planCell("experiments/table2.yaml", "MeTA-LoRA", profile: "quick")
        let inv = try invocation(["experiments/table2.yaml:MeTA-LoRA", "--profile", "quick", "alpha=1e-4", "--adaptation-steps", "2",
                                  "--max-length=128"])
        let cell = try XCTUnwrap(inv.cell)
        XCTAssertNotEqual(cell.configHash, planned.configHash)
        XCTAssertEqual(inv.request.hyper.alpha, 1e-4)
        XCTAssertEqual(inv.request.hyper.adaptationSteps, 2)
        XCTAssertEqual(inv.request.hyper.maxSeqLen, 128)
        XCTAssertEqual(cell.maxSeqLen, 128)
        XCTAssertEqual(inv.request.hyper.beta, planned.resolved.beta)
        XCTAssertTrue(cell.overrides.contains("alpha 0.0005 → 0.0001 (command line)"), "\(cell.overrides)")
        XCTAssertTrue(cell.overrides.contains("adaptation_steps 3 → 2 (command line)"), "\(cell.overrides)")
        XCTAssertTrue(inv.notes.contains("note: --max-length is max_seq_len (--max-seq-len)"), "\(inv.notes)")
        // A value the cell already trains with changes nothing.
        let same = try invocation(["experiments/table2.yaml:MeTA-LoRA", "--profile", "quick", "alpha=5e-4", "rank=16", "max_seq_len=256"])
        XCTAssertEqual(same.cell?.configHash, planned.configHash)
        // Overrides of one entry leave the others' cells alone, and plan/run take them too.
        let plan = try HarnessCommands.plan(spec: "experiments/table2.yaml", profile: "quick", paths: TestEnv.repoPaths, overrides: ["rank=8"])
        let lora = try planCell("experiments/table2.yaml", "LoRA", profile: "quick")
        XCTAssertFalse(plan.contains(String(lora.configHash.prefix(12))), plan)
        XCTAssertTrue(plan.contains("rank 16 → 8 (command line)"), plan)
        XCTAssertThrowsError(try HarnessCommands.plan(spec: "experiments/table2.yaml", profile: "quick", paths: TestEnv.repoPaths,
                                                      overrides: ["bogus=1"])) { error in
            let e = "\(error)"
            XCTAssertEqual(TrainOptions.exitCode(for: error), .validationFailure)
            XCTAssertTrue(e.contains("no method of table2 has a hyper-parameter 'bogus'") && e.contains("adaptation_steps"), e)
        }
    }

    func testMistakesAreUsageErrorsNamingWhatIsWrong() {
        var e = usageError(["experiments/table2.yaml:MeTA-LoRA", "bogus=1"])
        XCTAssertTrue(e.contains("unknown hyper-parameter 'bogus'") && e.contains("meta-lora's keys: iterations, tasks_per_iteration"), e)
        e = usageError(["experiments/table2.yaml:LoRA", "iterations=3"])
        XCTAssertTrue(e.contains("lora has no hyper-parameter iterations"), e)
        e = usageError(["experiments/table2.yaml:MeTA-LoRA", "rank=sixteen"])
        XCTAssertTrue(e.contains("rank") && e.contains("an integer"), e)
        e = usageError(["experiments/table2.yaml:MeTA-LoRA", "alpha=-1"])
        XCTAssertTrue(e.contains("alpha") && e.contains("below the minimum 0"), e)
        e = usageError(["experiments/table2.yaml:Nope"])
        XCTAssertTrue(e.contains("table2 has no entry 'Nope'") && e.contains("MeTA-LoRA (meta-lora)") && e.contains("Base (base)"), e)
        e = usageError(["experiments/table2.yaml:LoRA", "--method", "lora"])
        XCTAssertTrue(e.contains("--method comes from the spec entry"), e)
        e = usageError(["experiments/table2.yaml:LoRA", "--budget", "50"])
        XCTAssertTrue(e.contains("LoRA has budgets full"), e)
        e = usageError(["--method", "lora", "--iterations", "3"])
        XCTAssertTrue(e.contains("lora has no hyper-parameter iterations (--iterations)"), e)
        e = usageError(["--method", "lora", "--ranks", "3"])
        XCTAssertTrue(e.contains("unknown hyper-parameter '--ranks'") && e.contains("rank"), e)
        e = usageError(["--method", "lora", "--rank", "0"])
        XCTAssertTrue(e.contains("rank") && e.contains("minimum 1"), e)
        e = usageError(["--profile", "quick", "--method", "lora"])
        XCTAssertTrue(e.contains("--profile applies to a spec entry"), e)
        e = usageError(["--method", "nope"])
        XCTAssertTrue(e.contains("unknown method 'nope'"), e)
    }

    /// Grid points and several budgets need a selector; of several seeds the first is taken and said.
    func testSelectorsPickAmongAnEntrysCells() throws {
        let paths = try TestEnv.sandbox(seeds: "[0, 1]")
        var e = usageError(["experiments/sweep.yaml:MeTA-LoRA", "--profile", "t"], paths: paths)
        XCTAssertTrue(e.contains("grid points n=1, n=2, n=3: give --grid"), e)
        e = usageError(["experiments/sweep.yaml:MeTA-LoRA", "--profile", "t", "--grid", "n=9"], paths: paths)
        XCTAssertTrue(e.contains("grid points: n=1, n=2, n=3"), e)
        let spec = try ExperimentSpec.load(paths.spec("sweep"))
        let cells = try Planner.plan(spec, profile: try Profile.named("t", in: paths.profiles))
        let inv = try TrainOptions.parse(["experiments/sweep.yaml:MeTA-LoRA", "--profile", "t", "--grid", "n=2"]).invocation(paths: paths, log: { _ in })
        XCTAssertEqual(inv.cell?.configHash, cells.first { $0.gridLabel == "n=2" && $0.seed == 0 }?.configHash)
        XCTAssertTrue(inv.notes.contains { $0.contains("seeds 0, 1") && $0.contains("training seed 0") }, "\(inv.notes)")
        let seed1 = try TrainOptions.parse(["experiments/sweep.yaml:MeTA-LoRA", "--profile", "t", "--grid", "n=2", "--seed", "1"])
            .invocation(paths: paths, log: { _ in })
        XCTAssertEqual(seed1.cell?.configHash, cells.first { $0.gridLabel == "n=2" && $0.seed == 1 }?.configHash)
        XCTAssertEqual(seed1.request.hyper.seed, 1)
        // An override of the grid's own key makes the points alike: still one cell to train.
        let same = try TrainOptions.parse(["experiments/sweep.yaml:MeTA-LoRA", "--profile", "t", "--grid", "n=1", "tasks_per_iteration=2"])
            .invocation(paths: paths, log: { _ in })
        XCTAssertEqual(same.request.hyper.tasksPerIteration, 2)
        XCTAssertEqual(same.cell?.configHash, cells.first { $0.gridLabel == "n=2" && $0.seed == 0 }?.configHash)
    }

    /// The plain form: hyper-parameter flags from the descriptors, through ArgumentParser's capture.
    func testPlainFormFlagsComeFromTheDescriptors() throws {
        let inv = try invocation(["--method", "lora", "--max-length", "128", "--setting", "five-task", "--warmup=3", "lr=1e-3",
                                  "--budget", "16", "--grad-clip", "1.5", "--seed", "4", "--json", "--eval-examples", "8", "--targets", "q,v"])
        XCTAssertNil(inv.cell)
        XCTAssertEqual(inv.request.method.rawValue, "lora")
        XCTAssertEqual(inv.request.setting, "five-task")
        let h = inv.request.hyper
        XCTAssertEqual(h.maxSeqLen, 128); XCTAssertEqual(h.warmupSteps, 3); XCTAssertEqual(h.lr, 1e-3); XCTAssertEqual(h.gradientClip, 1.5)
        XCTAssertEqual(h.evalExamplesPerTask, 8); XCTAssertEqual(h.targets, [.q, .v]); XCTAssertEqual(h.budgetPerTask, 16); XCTAssertEqual(h.seed, 4)
        XCTAssertEqual(h.epochs, TrainingHyperParameters.epochs(forBudget: 16))
        XCTAssertEqual(inv.notes, ["note: --max-length is max_seq_len (--max-seq-len)", "note: --warmup is warmup_steps (--warmup-steps)",
                                   "note: --grad-clip is gradient_clip (--gradient-clip)",
                                   "note: --eval-examples is eval_examples_per_task (--eval-examples-per-task)"])
        // Every key's flag reaches the hyper-parameter parser: none is swallowed by a fixed option.
        for d in MethodCatalog.standard.descriptors {
            for p in d.hyperParameters {
                XCTAssertEqual(try TrainOptions.parse(["--method", d.name, p.flag, "7", "--json"]).arguments, [p.flag, "7"], p.key)
            }
        }
        // Defaults: meta-lora on five-task at 50 per task, the descriptor's values.
        let meta = try invocation([])
        XCTAssertEqual(meta.request.hyper, try MetaLoRAMethod.descriptor.resolve([:], budgetPerTask: 50))
        XCTAssertEqual(try invocation(["--method", "hydralora", "--budget", "full", "lora_nums=3"]).request.hyper.loraNums, 3)
    }

    func testHelpListsEveryKey() {
        let help = TrainOptions.helpMessage() + "\n" + TrainOptions.usage + "\n" + TrainOptions.discussion
        for d in MethodCatalog.standard.descriptors {
            for p in d.hyperParameters { XCTAssertTrue(help.contains("\(p.flag) / \(p.key) ("), "\(d.name).\(p.key)") }
        }
        for option in ["--method", "--setting", "--profile", "--grid", "--output", "--no-resume", "SPEC.yaml:ENTRY"] {
            XCTAssertTrue(help.contains(option), option)
        }
    }

    /// `train experiments/table2.yaml:MeTA-LoRA --profile smoke` end to end on the tiny fixture model.
    func testSmokeEntryTrainsEndToEnd() throws {
        let model = try Fixtures.require("tiny-llama/model-f32.gguf").path
        try TestEnv.requireDataMirror()
        let out = try TestEnv.tempDir()
        let inv = try invocation(["experiments/table2.yaml:MeTA-LoRA", "--profile", "smoke", "--model", model,
                                  "--data-dir", TestEnv.sharedData.path, "--output", out.path, "iterations=1"])
        let s = try ExperimentSpec.load(TestEnv.repoPaths.resolve("experiments/table2.yaml"))
        let planned = try Planner.plan(s, profile: try Profile.named("smoke", in: TestEnv.repoPaths.profiles), model: model)
            .first { $0.methodLabel == "MeTA-LoRA" }!
        XCTAssertEqual(planned.resolved.iterations, 2)
        XCTAssertNotEqual(inv.cell?.configHash, planned.configHash)
        Parallel.setThreads(1)
        let result = try TrainingSession.run(inv.request)
        XCTAssertEqual(result.optimizerSteps, 1)
        XCTAssertEqual(result.record["config_hash"], inv.cell?.configHash)
        XCTAssertTrue(FileManager.default.fileExists(atPath: try XCTUnwrap(result.adapterPath)))
        XCTAssertTrue(result.finalEvalLoss.isFinite)
    }
}
