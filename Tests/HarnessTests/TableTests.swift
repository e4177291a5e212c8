import Foundation
import XCTest
import Harness

final class TableTests: HarnessTestCase {
    /// A profile keeping three seeds, so cells have mean ± sd.
    static let seedsProfile = """
        profiles:
          t3:
            description: "three seeds"
            model: model.bin
            max_iterations: 5
            max_examples_per_task: 4
            rate_scale: {alpha: 100}
        """

    /// Stores fake results for table 2: LoRA with three seeds, MeTA-LoRA with one, HydraLoRA none.
    func fill(_ paths: HarnessPaths) throws -> (ResultsStore, Profile) {
        let profile = try Profile.parseAll(text: TableTests.seedsProfile, file: "p.yaml")["t3"]!
        let store = try ResultsStore(path: paths.store.path)
        let cells = try Planner.plan(try ExperimentSpec.load(TestEnv.repoPaths.spec("table2")), profile: profile)
        let values: [String: [Int: [Double]]] = ["LoRA": [0: [0.30, 0.20, 0.40], 1: [0.32, 0.22, 0.42], 2: [0.34, 0.24, 0.44]],
                                                 "MeTA-LoRA": [0: [0.50, 0.30, 0.45]]]
        for c in cells {
            guard let v = values[c.methodLabel]?[c.seed] else { continue }
            guard case .claimed(let id, _) = try store.claim(c, codeVersion: "v1.0-test", modelSHA256: "abcdef0123456789") else { throw StoreError.unknownRun(0) }
            let ms = zip(["mmlu", "mmlu-math", "bbh"], v).map { MetricRecord(benchmark: $0.0, value: $0.1, n: 100) }
            try store.finish(runID: id, outcome: CellOutcome(metrics: ms, optimizerSteps: 5, samplesProcessed: 40), wallSeconds: 1)
        }
        return (store, profile)
    }

    func sandboxWithRepoSpecs() throws -> HarnessPaths {
        let root = try TestEnv.tempDir()
        for d in ["experiments", "paper-tables"] {
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent(d), withDestinationURL: TestEnv.packageRoot.appendingPathComponent(d))
        }
        return HarnessPaths(root: root)
    }

    func testTable2MarkdownWithSeedsMissingCellsAndDiff() throws {
        let paths = try sandboxWithRepoSpecs()
        let (store, profile) = try fill(paths)
        let r = try Tables.render("2", paths: paths, store: store, profile: profile, diff: true)
        let md = r.text
        XCTAssertEqual(r.files.map(\.lastPathComponent), ["table2.md", "table2.tex"])
        let lines = md.split(separator: "\n").map(String.init)
        let lora = try XCTUnwrap(lines.first { $0.hasPrefix("| LoRA |") })
        // LoRA MMLU: seeds 30, 32, 34 → 32.00 ± 2.00; paper 29.43; Δ +2.57.
        XCTAssertTrue(lora.contains("| 32.00 ± 2.00 | 29.43 | +2.57 |"), lora)
        // AVG per seed: (30+20+40)/3, (32+22+42)/3, (34+24+44)/3 → 32.00 ± 2.00 vs 28.70.
        XCTAssertTrue(lora.hasSuffix("| 32.00 ± 2.00 | 28.70 | +3.30 |"), lora)
        let hydra = try XCTUnwrap(lines.first { $0.hasPrefix("| HydraLoRA |") })
        XCTAssertEqual(hydra, "| HydraLoRA | — | 46.61 | — | — | 30.00 | — | — | 37.49 | — | — | 38.03 | — |", "missing stays missing")
        let meta = try XCTUnwrap(lines.first { $0.hasPrefix("| MeTA-LoRA |") })
        XCTAssertTrue(meta.contains("| 50.00 (no per-item data) (1/3 seeds) | 46.34 | +3.66 |"), meta)
        XCTAssertTrue(meta.contains("| 30.00 (no per-item data) (1/3 seeds) | 31.12 | −1.12 |"), meta)
        XCTAssertTrue(md.contains("Measured with profile t3 on model model.bin (sha256 abcdef012345), code v1.0-test"), md)
        XCTAssertTrue(md.contains("Profile overrides:") && md.contains("iterations 1000 → 5") && md.contains("alpha 5e-06 → 0.0005 (×100)"), md)
        // 3 methods × 3 seeds (and Base × 3, once the spec has its entry).
        let planned = try Planner.plan(try ExperimentSpec.load(TestEnv.repoPaths.spec("table2")), profile: profile).count
        XCTAssertTrue(md.contains("4 of \(planned) planned runs"), md)
        XCTAssertTrue(md.contains("± is the standard error over evaluated items") && md.contains("n (items per run): MMLU 100"), md)
        XCTAssertTrue(md.contains("- LoRA / MMLU: seed 0: 30.00; seed 1: 32.00; seed 2: 34.00"), md)
        // The files on disk hold the same.
        XCTAssertEqual(try String(contentsOf: r.files[0], encoding: .utf8), md)
    }

    func testLatexIsBooktabsWithCaption() throws {
        let paths = try sandboxWithRepoSpecs()
        let (store, profile) = try fill(paths)
        let tex = try Tables.render("table2", paths: paths, store: store, profile: profile, formats: [.latex], write: false).text
        XCTAssertTrue(tex.contains("\\toprule") && tex.contains("\\midrule") && tex.contains("\\bottomrule"))
        XCTAssertTrue(tex.contains("32.00 $\\pm$ 2.00 & 29.43"), tex)
        XCTAssertTrue(tex.contains("\\caption{Five-task") && !tex.contains("Table 2: ") && tex.contains("profile t3"), tex)
        XCTAssertTrue(tex.contains("\\resizebox{\\linewidth}{!}{%"), "the table is scaled to the text width")
        XCTAssertTrue(tex.contains("HydraLoRA & --- & 46.61"), tex)
        XCTAssertFalse(tex.contains("_LLaMA") , "underscores are escaped")
    }

    func testFigure2SVGAndPGFPlotsWithMissingBars() throws {
        let paths = try sandboxWithRepoSpecs()
        let profile = try Profile.named("smoke", in: TestEnv.repoPaths.profiles)
        let store = try ResultsStore(path: paths.store.path)
        let cells = try Planner.plan(try ExperimentSpec.load(TestEnv.repoPaths.spec("figure2")), profile: profile)
        let c = cells.first { $0.methodLabel == "MeTA-LoRA" && $0.budget == .perTask(50) }!
        guard case .claimed(let id, _) = try store.claim(c, codeVersion: "t", modelSHA256: nil) else { return XCTFail() }
        try store.finish(runID: id, outcome: CellOutcome(metrics: [MetricRecord(benchmark: "mmlu", value: 0.4, n: 1), MetricRecord(benchmark: "mmlu-math", value: 0.3, n: 1), MetricRecord(benchmark: "bbh", value: 0.2, n: 1)]), wallSeconds: 1)
        let r = try Tables.render("figure2", paths: paths, store: store, profile: profile)
        XCTAssertEqual(Set(r.files.map(\.lastPathComponent)), ["figure2.md", "figure2.tex", "figure2.svg", "figure2-pgfplots.tex"])
        let svg = try String(contentsOf: paths.tablesOut.appendingPathComponent("figure2.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("MeTA-LoRA 50 MMLU: 40.00") && svg.contains("stroke-dasharray"), svg)
        let pgf = try String(contentsOf: paths.tablesOut.appendingPathComponent("figure2-pgfplots.tex"), encoding: .utf8)
        XCTAssertTrue(pgf.contains("\\addplot coordinates {(50-MMLU,40.00) (50-MMLU-math,30.00) (50-BBH,20.00) (50-AVG,30.00)}"), pgf)
        // No per-item data and one seed: no error bar is drawn rather than a zero-length one.
        XCTAssertFalse(svg.contains("error-bar"), svg)
        XCTAssertTrue(svg.contains("error bars ± sd over seeds") && svg.contains("rotate(-35"), svg)
    }

    /// A run with per-item samples shows the binomial SE; the AVG column combines the parts' SEs.
    func testSingleSeedStandardErrorFromSamples() throws {
        let paths = try sandboxWithRepoSpecs()
        let profile = try Profile.parseAll(text: TableTests.seedsProfile, file: "p.yaml")["t3"]!
        let store = try ResultsStore(path: paths.store.path)
        let cells = try Planner.plan(try ExperimentSpec.load(TestEnv.repoPaths.spec("table2")), profile: profile)
        let c = cells.first { $0.methodLabel == "LoRA" && $0.seed == 0 }!
        guard case .claimed(let id, _) = try store.claim(c, codeVersion: "t", modelSHA256: nil) else { return XCTFail() }
        // mmlu: 1 of 4 right → 25% ± √(0.25·0.75/4) = 21.65; bbh, mmlu-math: 2 of 4 → 50% ± 25.
        var samples: [StoredSample] = []
        var metrics: [MetricRecord] = []
        for (b, right) in [("mmlu", 1), ("mmlu-math", 2), ("bbh", 2)] {
            for i in 0..<4 { samples.append(StoredSample(benchmark: b, subset: "s", index: i, prediction: "x", target: "x", correct: i < right)) }
            metrics.append(MetricRecord(benchmark: b, value: Double(right) / 4, n: 4, settings: .object(["aggregation": .string("macro")])))
        }
        try store.finish(runID: id, outcome: CellOutcome(metrics: metrics, samples: samples), wallSeconds: 1)
        let md = try Tables.render("2", paths: paths, store: store, profile: profile, write: false).text
        let lora = try XCTUnwrap(md.split(separator: "\n").first { $0.hasPrefix("| LoRA |") })
        XCTAssertTrue(lora.contains("| 25.00 ± 21.65 (1/3 seeds) |") && lora.contains("| 50.00 ± 25.00 (1/3 seeds) |"), String(lora))
        // AVG: 41.67 ± √(21.65² + 25² + 25²)/3 = √1718.75/3 = 13.82.
        XCTAssertTrue(lora.contains("| 41.67 ± 13.82 (1/3 seeds) |"), String(lora))
    }

    func testTablesGoBesideAScratchStoreOrToOut() {
        let paths = HarnessPaths(root: URL(fileURLWithPath: "/repo"))
        XCTAssertEqual(HarnessCommands.tablesDirectory(db: "/tmp/s/x.sqlite", out: nil, paths: paths).path, "/tmp/s/tables")
        XCTAssertEqual(HarnessCommands.tablesDirectory(db: "/tmp/s/x.sqlite", out: "/tmp/o", paths: paths).path, "/tmp/o")
        XCTAssertEqual(HarnessCommands.tablesDirectory(db: nil, out: nil, paths: paths).path, "/repo/results/tables")
    }

    func testTable3FromSpecs() throws {
        let paths = try sandboxWithRepoSpecs()
        let md = try Tables.render("3", paths: paths, store: nil, profile: try Profile.named("quick", in: TestEnv.repoPaths.profiles), write: false).text
        // Ours = per-task budget × the tasks the mirror holds (Flanv2 without DROP: 42 × 100 = 4,200; paper 4,300).
        XCTAssertTrue(md.contains("| Flanv2 | 42 | 43 | 227538 | 325783 | 4200 | 4300 | 672 |"), md)
        XCTAssertTrue(md.contains("| Five-task | 5 | 5 | 54705 | 439950 | 250 | 250 | 80 |"), md)
        XCTAssertTrue(md.contains("| Multilingual | 52 | 52 | 52624 | 3400000 | 2600 | 2600 | 832 |"), md)
        XCTAssertTrue(md.contains("| Five-task variant | 5 | 5 | 55425 | 487075 | 250 | 250 | 80 |"), md)
    }

    func testCounterTableAndParams() throws {
        let paths = try sandboxWithRepoSpecs()
        let profile = try Profile.named("quick", in: TestEnv.repoPaths.profiles)
        let store = try ResultsStore(path: paths.store.path)
        let md7 = try Tables.render("7", paths: paths, store: store, profile: profile, write: false).text
        XCTAssertTrue(md7.contains("| Optimizer steps | — | 60885 | — | 60885 | — | 1000 |"), md7)
        let md8 = try Tables.render("8", paths: paths, store: store, profile: profile, diff: true, write: false).text
        // α and β as resolved on the profile (×100 on quick), beside the paper's.
        XCTAssertTrue(md8.contains("| c_base | 0.0005 | 5e-06 | 0.0002 | 2e-06 | — | 39.53 | — |"), md8)
        XCTAssertThrowsError(try Tables.render("14", paths: paths, store: store, profile: profile, write: false))
    }
}
