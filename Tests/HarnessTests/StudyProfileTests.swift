import Foundation
import XCTest
import Engine
import Harness
import struct Data.DataDirectory
import struct Data.DataPlan
import struct Data.TaskPool
import struct Data.TaskBudget
import struct Data.TrainingExample
import enum Data.FiveTaskCatalog
import TestSupport

/// Profiles keep the paper's proportions (Table 7's samples ratio, distinct budgets on the
/// data-scale tables), and the study profile adds its above-chance probes and a held-out draw
/// that no budget of any method can touch.
final class StudyProfileTests: HarnessTestCase {
    var paths: HarnessPaths { TestEnv.repoPaths }

    func plan(_ table: String, _ profile: String) throws -> [ResolvedCell] {
        try Planner.plan(try ExperimentSpec.load(paths.spec(table)), profile: try Profile.named(profile, in: paths.profiles),
                         model: "model.gguf")
    }

    /// Table 7: MeTA-LoRA's 64,000 samples against five-task full data (Table 3: 439,950) is 14.5%;
    /// every scaled profile stays within a factor 2 of that.
    func testScaledProfilesKeepTheTable7Ratio() throws {
        let paper = 64_000.0 / 439_950.0
        for profile in ["quick", "small", "study"] {
            let cells = try plan("table2", profile)
            let meta = try XCTUnwrap(cells.first { $0.method == "meta-lora" })
            let lora = try XCTUnwrap(cells.first { $0.method == "lora" })
            let ratio = Double(meta.cost.trainSamples) / Double(lora.cost.trainSamples)
            XCTAssertTrue(ratio > paper / 2 && ratio < paper * 2, "\(profile): \(meta.cost.trainSamples) / \(lora.cost.trainSamples) = \(ratio)")
            XCTAssertTrue(Planner.describe(cells).contains("proportions (Table 7)"), profile)
        }
        // quick: 1000 × 0.002 = 2 iterations = 2 × 2 × (3·8 + 8) = 128 samples; 439,950 × 0.002 / 5 = 176 per task.
        let quick = try plan("table2", "quick")
        XCTAssertEqual(quick.first { $0.method == "meta-lora" }?.cost.trainSamples, 128)
        XCTAssertEqual(quick.first { $0.method == "lora" }?.examplesPerTask, 176)
    }

    /// Tables 6, 12 and Figure 2 compare budgets: every profile keeps them distinct, in the spec's ratios.
    func testDataScaleTablesKeepDistinctBudgets() throws {
        for table in ["table6", "table12", "figure2"] {
            let spec = try ExperimentSpec.load(paths.spec(table))
            for profile in ["smoke", "quick", "small", "study"] {
                let cells = try Planner.plan(spec, profile: try Profile.named(profile, in: paths.profiles), model: "model.gguf")
                for entry in spec.methods where entry.budgets.count > 1 {
                    let perTask = Set(cells.filter { $0.methodLabel == entry.label }.compactMap(\.examplesPerTask))
                    let asked = Set(entry.budgets.map(\.description))
                    XCTAssertEqual(perTask.count, asked.count, "\(table) \(entry.label) on \(profile): \(perTask.sorted()) for \(asked.sorted())")
                }
            }
        }
    }

    func testStudyPlansBaseOnceThreeSeedsAndItsProbes() throws {
        let cells = try plan("table2", "study")
        XCTAssertEqual(cells.filter { $0.method == "base" }.count, 1, "the untrained model does not depend on the seed")
        for method in ["lora", "hydralora", "meta-lora"] { XCTAssertEqual(cells.filter { $0.method == method }.count, 3, method) }
        let names = cells[0].benchmarks.map(\.name)
        XCTAssertEqual(names, ["mmlu", "mmlu-math", "bbh", "five-task-heldout", "xstorycloze", "xwinograd"])
        XCTAssertEqual(cells[0].benchmarks.first { $0.name == "xstorycloze" }?.subsets, ["en"])
        XCTAssertEqual(cells[0].benchmarks.first { $0.name == "xstorycloze" }?.limit, 300)
        for c in cells {
            XCTAssertEqual(c.heldOutPerTask, 100)
            XCTAssertTrue(c.configJSON.contains("\"held_out_per_task\":100"), c.configJSON)
            XCTAssertEqual(c.precision, .bf16)
        }
        // quick sets no held-out size: its hashes carry no held_out_per_task.
        XCTAssertFalse(try plan("table2", "quick").contains { $0.configJSON.contains("held_out_per_task") })
    }

    func testProfileBenchmarkEntriesAreChecked() throws {
        func error(_ entry: String) -> String {
            let text = "profiles:\n  p:\n    description: d\n    model: m\n    benchmarks:\n      - \(entry)\n"
            do { _ = try Profile.parseAll(text: text, file: "profiles.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(error("{name: xstorycloze, shots: 0, subsets: [klingon]}").contains("no subset 'klingon'"))
        XCTAssertTrue(error("{name: xstorycloze, shots: 0, limit: 0}").contains("limit must be ≥ 1"))
        XCTAssertTrue(error("{name: nosuch, shots: 0}").contains("nosuch"))
    }

    /// The held-out draw is outside every budget and every full-data pool, whatever its size.
    func testHeldOutDrawIsOutsideEveryBudget() throws {
        try TestEnv.requireDataMirror()
        let dir = DataDirectory(root: TestEnv.sharedData)
        let plan = try DataPlan.build(setting: "five-task", directory: dir, budgetPerTask: 176, seed: 1, heldOutCount: 100)
        for pool in plan.pools where pool.task.id != "gsm8k" {
            XCTAssertEqual(pool.heldOut.count, 100, pool.task.id)
            XCTAssertTrue(pool.heldOut.allSatisfy { $0.choices != nil && $0.answerIndex != nil }, pool.task.id)
            XCTAssertTrue(pool.heldOut.allSatisfy { $0.choices![$0.answerIndex!] == $0.output }, pool.task.id)
        }
        let held = Set(plan.pools.flatMap { (p: TaskPool) in p.heldOut.map(\.id) })
        let trained = Set(plan.budgets.flatMap { (b: TaskBudget) in b.examples.map(\.id) })
        XCTAssertTrue(held.isDisjoint(with: trained))
    }
}

/// five-task-heldout through the harness: a base cell on the tiny fixture model scores each task's
/// held-out draw in the training prompt format, and every sample names the example it scored.
final class HeldOutBenchmarkTests: HarnessTestCase {
    func testBaseCellScoresTheHeldOutDraw() throws {
        try TestEnv.requireDataMirror()
        let model = try Fixtures.require("tiny-llama/model-f32.gguf").path
        let paths = try TestEnv.packageRoot(spec: TestEnv.table9Spec("""
            benchmarks:
              - {name: five-task-heldout, shots: 0, subsets: [qqp, piqa], limit: 3}
            methods:
              - {name: base, label: Base}
            """), profiles: TestEnv.proofProfiles(model: model, "held_out_per_task: 40", "max_seq_len: 1024"),
            layout: TestEnv.table9Layout(title: "Held-out items", column: "{header: Held-out, benchmark: five-task-heldout}",
                                         row: "{header: Base, method: Base}"))
        let executor = EngineCellExecutor(dataDirectory: TestEnv.sharedData.path) { _ in }
        let summary = try HarnessCommands.run(spec: "experiments/table9.yaml", profile: "proof", executor: executor, paths: paths) { _ in }
        XCTAssertEqual(summary.ran, 1)
        XCTAssertEqual(summary.failed, 0)
        let store = try ResultsStore(path: paths.store.path)
        let run = try XCTUnwrap(try store.runs(status: "done").first)
        let samples = try store.samples(runID: run.id)
        XCTAssertEqual(samples.count, 6, "3 items of each of the two subsets")
        // The items are the first three of each task's 40-example held-out draw, by example id.
        let data = DataDirectory(root: TestEnv.sharedData)
        for task in [FiveTaskCatalog.qqp, FiveTaskCatalog.physicalIQA] {
            let expected = try TaskPool.load(task, from: data, heldOutCount: 40).heldOut.prefix(3).map(\.id)
            let got = samples.filter { $0.subset == task.id }.compactMap { s -> String? in
                if case .object(let o) = s.detail, case .string(let id)? = o["example_id"] { return id }
                return nil
            }
            XCTAssertEqual(got, Array(expected), task.id)
        }
        let metric = try XCTUnwrap(try store.metrics(runID: run.id).first { $0.benchmark == "five-task-heldout" && $0.metric == "accuracy" && $0.subset == "all" })
        XCTAssertEqual(metric.n, 6)
    }
}
