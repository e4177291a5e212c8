import Foundation
import XCTest
import Harness
import TestSupport
import struct Data.DataPlan
import struct Data.DataDirectory
import enum Data.SelectionMethod

/// Table 13 end to end: a bm25 and a dsir LoRA cell on the tiny fixture model train on exactly
/// the examples `DataPlan.buildSelected` picks for the same target, and the store records them.
final class SelectionCellTests: HarnessTestCase {
    static let spec = """
        name: sel
        table: table13
        setting: five-task
        tasks: [qqp, piqa]
        seeds: [0]
        benchmarks:
          - {name: mmlu-math, shots: 0}
        methods:
          - name: lora
            label: LoRA + BM25
            budgets: [50]
            selection: bm25
            selection_target: [bbh]
            hyper: {lr: 2.0e-4, batch_size: 8, epochs: {50: 5}, rank: 4, targets: [q, v]}
          - name: lora
            label: LoRA + DSIR
            budgets: [50]
            selection: dsir
            selection_target: [bbh]
            hyper: {lr: 2.0e-4, batch_size: 8, epochs: {50: 5}, rank: 4, targets: [q, v]}
        """

    static func profiles(model: String) -> String {
        """
        profiles:
          s:
            description: "tiny fixture model, 4 examples per task, one item per MMLU-math subject"
            model: \(model)
            max_epochs: 1
            max_examples_per_task: 4
            eval_limit: 1
            max_seq_len: 1024  # byte-level tokens: BM25 and DSIR pick long rows, whose answers 512 would cut
            threads: 1
        """
    }

    func testSelectedCellsTrainOnTheSelectedExamplesAndRecordThem() throws {
        let model = try Fixtures.require("tiny-llama/model-f32.gguf")
        let mirror = TestEnv.sharedData
        guard FileManager.default.fileExists(atPath: mirror.appendingPathComponent("bbh").path) else {
            throw XCTSkip("data mirror not found at \(mirror.path)")
        }
        let root = try TestEnv.tempDir()
        let experiments = root.appendingPathComponent("experiments")
        try FileManager.default.createDirectory(at: experiments, withIntermediateDirectories: true)
        try Self.spec.write(to: experiments.appendingPathComponent("sel.yaml"), atomically: true, encoding: .utf8)
        try Self.profiles(model: model.path).write(to: experiments.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        let paths = HarnessPaths(root: root)

        let summary = try HarnessCommands.run(spec: "experiments/sel.yaml", profile: "s", executor: EngineCellExecutor(dataDirectory: mirror.path, log: { _ in }),
                                              paths: paths, log: { _ in })
        XCTAssertEqual(summary.ran, 2, "\(summary.failures)")
        XCTAssertEqual(summary.failed, 0, "\(summary.failures)")

        let store = try ResultsStore(path: paths.store.path)
        let runs = try store.runs(status: "done")
        XCTAssertEqual(runs.map(\.methodLabel), ["LoRA + BM25", "LoRA + DSIR"])
        let target = try SelectionTargets.load(["bbh"], dataDirectory: mirror.path)
        XCTAssertEqual(target.sourceSummary, "bbh=6511")
        for (run, method) in zip(runs, [SelectionMethod.bm25, .dsir]) {
            let expected = try DataPlan.buildSelected(setting: "five-task", tasks: ["qqp", "piqa"], directory: DataDirectory(root: mirror),
                                                      method: method, target: target, count: 4)
            let record = try XCTUnwrap(run.trainingRecord)
            XCTAssertEqual(record["selection"], .string(method.rawValue))
            XCTAssertEqual(record["selection_target"], .string("bbh=6511"))
            XCTAssertEqual(record["selection_target_texts"], .string("6511"))
            XCTAssertEqual(record["selection_target_sha256"], .string(target.sha256))
            XCTAssertEqual(record["budget_ids"], .object(expected.recordedBudgets.mapValues { .array($0.map(JSONValue.string)) }),
                           "\(method): the cell trained on the ids DataSelection picks for the same target")
            XCTAssertEqual(run.samples, 8, "one epoch over 2 tasks × 4 selected examples")
            let shown = try ResultsCommands.show(store: store, runID: run.id)
            XCTAssertTrue(shown.contains("selection: \(method.rawValue)") && shown.contains("budget_ids[qqp]: 4 ids"), shown)
            // The cell's loss-curve SVG sits in its run folder and `results show` names it.
            let svg = try XCTUnwrap(try store.artifacts(runID: run.id).first { $0.kind == "loss-curve-svg" }?.path)
            XCTAssertTrue(shown.contains("artifact loss-curve-svg: \(svg)"), shown)
            let text = try String(contentsOfFile: svg, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("<svg") && text.contains(">train<") && text.contains(">held-out<"), text)
        }
    }
}
