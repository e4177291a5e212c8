import Foundation
import XCTest
import Harness

/// `select_best: held_out_loss` reports the grid point with the lowest mean final held-out loss,
/// nothing until every point has run, and says so in the caption; without it the caption says no
/// selection was made.
final class GridSelectionTests: HarnessTestCase {
    static let spec = """
        name: table9
        table: table9
        setting: five-task
        seeds: [0, 1]
        benchmarks:
          - {name: mmlu, shots: 5}
        methods:
          - name: meta-lora
            label: MeTA-LoRA
            budgets: [50]
            hyper: {iterations: 10, tasks_per_iteration: 2, support_size: 8, query_size: 8, adaptation_steps: 3,
                    alpha: 5.0e-6, beta: 2.0e-6, rank: 16, targets: [q, k, v, o]}
            select_best: held_out_loss
            grid:
              - {label: "k=1", adaptation_steps: 1}
              - {label: "k=3", adaptation_steps: 3}
        """

    func sandbox() throws -> (HarnessPaths, Profile) {
        let paths = try TestEnv.packageRoot(spec: Self.spec, profiles: "profiles:\n  p:\n    description: d\n    model: model.bin\n",
            layout: TestEnv.table9Layout(title: "Selected", column: "{header: MMLU, benchmark: mmlu}",
                                         row: "{header: MeTA-LoRA, method: MeTA-LoRA}"))
        return (paths, try Profile.named("p", in: paths.profiles))
    }

    func store(_ paths: HarnessPaths, _ profile: Profile, results: [String: [Int: (loss: Double, acc: Double)]]) throws -> ResultsStore {
        let store = try ResultsStore(path: paths.store.path)
        let cells = try Planner.plan(try ExperimentSpec.load(paths.spec("table9")), profile: profile)
        for c in cells {
            guard let r = results[c.gridLabel ?? ""]?[c.seed] else { continue }
            guard case .claimed(let id, _) = try store.claim(c, codeVersion: "v", modelSHA256: nil) else { throw StoreError.unknownRun(0) }
            let curve = [LossPoint(step: 0, loss: 3.0, split: "eval"), LossPoint(step: 10, loss: r.loss, split: "eval")]
            try store.finish(runID: id, outcome: CellOutcome(metrics: [MetricRecord(benchmark: "mmlu", value: r.acc, n: 100)], lossCurve: curve),
                             wallSeconds: 1)
        }
        return store
    }

    func testReportsThePointWithTheLowestMeanHeldOutLoss() throws {
        let (paths, profile) = try sandbox()
        // k=1: mean loss 2.0, accuracy 30; k=3: mean loss 1.5, accuracy 40 and 44 → reported 42.00 ± 2.83.
        let s = try store(paths, profile, results: ["k=1": [0: (2.1, 0.30), 1: (1.9, 0.30)], "k=3": [0: (1.4, 0.40), 1: (1.6, 0.44)]])
        let md = try Tables.render("9", paths: paths, store: s, profile: profile, formats: [.markdown], write: false).text
        XCTAssertTrue(md.contains("| MeTA-LoRA | 42.00 ± 2.83 |"), md)
        XCTAssertTrue(md.contains("best of grid by mean final held-out loss") && md.contains("k=1 2.0000 (2 seeds), k=3 1.5000 (2 seeds); reported: k=3"), md)
        XCTAssertFalse(md.contains("No best-of-grid selection"), md)
    }

    func testNothingIsChosenFromPartOfTheGrid() throws {
        let (paths, profile) = try sandbox()
        let s = try store(paths, profile, results: ["k=3": [0: (1.4, 0.40), 1: (1.6, 0.44)]])
        let md = try Tables.render("9", paths: paths, store: s, profile: profile, formats: [.markdown], write: false).text
        XCTAssertTrue(md.contains("| MeTA-LoRA | — |"), md)
        XCTAssertTrue(md.contains("k=1 not run (0 seeds)") && md.contains("no choice until every grid point has a finished run"), md)
    }

    func testSpecChecksTheCriterionAndTheGrid() throws {
        func error(_ yaml: String) -> String {
            do { _ = try ExperimentSpec.parse(text: yaml, file: "s.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(error(Self.spec.replacingOccurrences(of: "select_best: held_out_loss", with: "select_best: test_accuracy"))
            .contains("test_accuracy"))
        let oneGridPoint = Self.spec.replacingOccurrences(of: "      - {label: \"k=3\", adaptation_steps: 3}", with: "")
        XCTAssertTrue(error(oneGridPoint).contains("at least two points"), error(oneGridPoint))
    }

    func testWithoutSelectionTheCaptionSaysSo() throws {
        let (paths, profile) = try sandbox()
        try Self.spec.replacingOccurrences(of: "    select_best: held_out_loss\n", with: "")
            .write(to: paths.spec("table9"), atomically: true, encoding: .utf8)
        let md = try Tables.render("9", paths: paths, store: try ResultsStore(path: paths.store.path), profile: profile,
                                   formats: [.markdown], write: false).text
        XCTAssertTrue(md.contains("No best-of-grid selection"), md)
    }
}
