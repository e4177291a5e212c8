import Foundation
import struct Data.DataDirectory
import XCTest
import Evaluation
import Harness

/// `metalora compare`, the paired section of `table --diff`, the Base and chance rows, the
/// at-chance mark and the plan's power lines, on synthetic stores with known item outcomes.
final class PairedComparisonTests: HarnessTestCase {
    static let profiles = """
        profiles:
          one:
            description: "one seed"
            model: model.bin
            max_iterations: 2
            max_examples_per_task: 4
            eval_limit: 3
            max_seeds: 1
          two:
            description: "two seeds"
            model: model.bin
            max_iterations: 2
            max_examples_per_task: 4
            eval_limit: 3
            max_seeds: 2
        """

    /// A package root whose experiments/table2.yaml is the repository's with a base entry, and
    /// whose paper-tables/ is the repository's.
    func sandbox(withBase: Bool = true) throws -> HarnessPaths {
        let root = try TestEnv.tempDir()
        let exp = root.appendingPathComponent("experiments")
        try FileManager.default.createDirectory(at: exp, withIntermediateDirectories: true)
        var spec = try String(contentsOf: TestEnv.repoPaths.spec("table2"), encoding: .utf8)
        // Whether or not the repository's spec has a base entry yet, this one has it only `withBase`.
        spec = spec.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("{name: base") }.joined(separator: "\n")
        if withBase { spec = spec.replacingOccurrences(of: "methods:\n", with: "methods:\n  - {name: base, label: Base}\n") }
        try spec.write(to: exp.appendingPathComponent("table2.yaml"), atomically: true, encoding: .utf8)
        try Self.profiles.write(to: exp.appendingPathComponent("profiles.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("paper-tables"),
                                                   withDestinationURL: TestEnv.packageRoot.appendingPathComponent("paper-tables"))
        return HarnessPaths(root: root)
    }

    /// Per item of one subset: whether the reference (MeTA-LoRA) and the method are right.
    /// b items only the reference gets, c only the method, both right `both`, the rest neither.
    static func outcomes(n: Int, b: Int, c: Int, both: Int) -> (ref: [Bool], method: [Bool]) {
        var ref = [Bool](repeating: false, count: n), method = ref
        for i in 0..<b { ref[i] = true }
        for i in b..<(b + c) { method[i] = true }
        for i in (b + c)..<(b + c + both) { ref[i] = true; method[i] = true }
        return (ref, method)
    }

    /// Stores one finished run of `label` (seed) with the given per-subset correctness on each benchmark.
    func store(_ store: ResultsStore, _ cells: [ResolvedCell], label: String, seed: Int = 0,
               _ results: [String: [(subset: String, correct: [Bool], ids: [String]?)]], aggregation: [String: String] = [:]) throws {
        let c = try XCTUnwrap(cells.first { $0.methodLabel == label && $0.seed == seed }, "\(label) seed \(seed) is planned")
        guard case .claimed(let id, _) = try store.claim(c, codeVersion: "t", modelSHA256: nil) else { return XCTFail("claim") }
        var metrics: [MetricRecord] = [], samples: [StoredSample] = []
        for (bench, subsets) in results {
            var right = 0, n = 0, index = 0
            for s in subsets {
                for (i, ok) in s.correct.enumerated() {
                    let pid = s.ids?[i] ?? "\(s.subset)-\(i)"
                    samples.append(StoredSample(benchmark: bench, subset: s.subset, index: index, prediction: "p", target: "t", correct: ok,
                                                detail: .object(["prompt_id": .string(pid)])))
                    index += 1; n += 1; right += ok ? 1 : 0
                }
            }
            let settings: JSONValue = .object(["aggregation": .string(aggregation[bench] ?? "micro")])
            metrics.append(MetricRecord(benchmark: bench, value: Double(right) / Double(n), n: n, settings: settings))
        }
        try store.finish(runID: id, outcome: CellOutcome(metrics: metrics, samples: samples), wallSeconds: 1)
    }

    func plan(_ paths: HarnessPaths, _ profile: String) throws -> (ExperimentSpec, Profile, [ResolvedCell]) {
        let spec = try ExperimentSpec.load(paths.spec("table2"))
        let p = try Profile.named(profile, in: paths.profiles)
        return (spec, p, try Planner.plan(spec, profile: p))
    }

    /// MMLU: b = 60, c = 30 of 400 (Δ = +7.5 points); MMLU-math: two macro subsets with constant
    /// differences (+1 on all 4 items of one, 0 on the 12 of the other: Δ = +50 exactly); BBH:
    /// b = 80, c = 40 of 400 (Δ = +10).
    func fillDiscordant(_ paths: HarnessPaths, withHydra: Bool = false) throws -> ResultsStore {
        let (_, _, cells) = try plan(paths, "one")
        let s = try ResultsStore(path: paths.store.path)
        let mmlu = Self.outcomes(n: 400, b: 60, c: 30, both: 100), bbh = Self.outcomes(n: 400, b: 80, c: 40, both: 60)
        let mathA = (ref: [Bool](repeating: true, count: 4), method: [Bool](repeating: false, count: 4))
        let mathB = (ref: [Bool](repeating: true, count: 12), method: [Bool](repeating: true, count: 12))
        let agg = ["mmlu-math": "macro"]
        try store(s, cells, label: "MeTA-LoRA", ["mmlu": [("all", mmlu.ref, nil)], "bbh": [("t", bbh.ref, nil)],
                                                  "mmlu-math": [("a", mathA.ref, nil), ("b", mathB.ref, nil)]], aggregation: agg)
        try store(s, cells, label: "LoRA", ["mmlu": [("all", mmlu.method, nil)], "bbh": [("t", bbh.method, nil)],
                                             "mmlu-math": [("a", mathA.method, nil), ("b", mathB.method, nil)]], aggregation: agg)
        let chanceLike = [Bool](repeating: false, count: 300) + [Bool](repeating: true, count: 100)
        try store(s, cells, label: "Base", ["mmlu": [("all", chanceLike, nil)], "bbh": [("t", chanceLike, nil)],
                                             "mmlu-math": [("a", mathA.method, nil), ("b", mathB.method, nil)]], aggregation: agg)
        if withHydra {
            try store(s, cells, label: "HydraLoRA", ["mmlu": [("all", mmlu.method, nil)], "bbh": [("t", bbh.method, nil)],
                                                      "mmlu-math": [("a", mathA.method, nil), ("b", mathB.method, nil)]], aggregation: agg)
        }
        return s
    }

    func paired(_ r: PairedComparisonReport, _ method: String, _ column: String) throws -> PairedDifference {
        let c = try XCTUnwrap(r.comparisons.first { $0.method == method && $0.column == column }, "\(method)/\(column)")
        guard case .paired(let d, _, _) = c.outcome else { throw Refused(what: "\(method)/\(column): \(c.outcome)") }
        return d
    }

    struct Refused: Error { let what: String }

    func testCompareAgainstDiscordantCountsClosedForm() throws {
        let paths = try sandbox()
        _ = try fillDiscordant(paths, withHydra: true)
        let out = try CompareCommand.run("2", profile: "one", paths: paths)
        XCTAssertTrue(out.ok, out.text)
        let r = out.report
        // Δ = (b − c)/n; the bootstrap's SE is the plug-in √([(b + c)/n − Δ²]/n).
        func se(_ n: Double, _ b: Double, _ c: Double) -> Double { (((b + c) / n - ((b - c) / n) * ((b - c) / n)) / n).squareRoot() }
        let mmlu = try paired(r, "LoRA", "MMLU"), seM = se(400, 60, 30)
        XCTAssertEqual(mmlu.difference, 0.075, accuracy: 1e-12)
        XCTAssertEqual(mmlu.low, 0.075 - 1.959964 * seM, accuracy: 0.1 * seM)
        XCTAssertEqual(mmlu.high, 0.075 + 1.959964 * seM, accuracy: 0.1 * seM)
        XCTAssertEqual(mmlu.n, 400); XCTAssertEqual(mmlu.resamples, 10_000)
        XCTAssertLessThan(mmlu.pValue, 0.01)
        // Constant differences within each macro subset: Δ = ½·1 + ½·0 in every replicate.
        let math = try paired(r, "LoRA", "MMLU-math")
        XCTAssertEqual(math.difference, 0.5, accuracy: 1e-12)
        XCTAssertEqual(math.low, 0.5, accuracy: 1e-12); XCTAssertEqual(math.high, 0.5, accuracy: 1e-12)
        XCTAssertEqual(math.pValue, 0)
        let bbh = try paired(r, "LoRA", "BBH"), seB = se(400, 80, 40)
        XCTAssertEqual(bbh.difference, 0.10, accuracy: 1e-12)
        XCTAssertEqual(bbh.low, 0.10 - 1.959964 * seB, accuracy: 0.1 * seB)
        // AVG: the mean of the three Δs; its SE √(SE_mmlu² + 0 + SE_bbh²)/3.
        let avg = try paired(r, "LoRA", "AVG"), seA = (seM * seM + seB * seB).squareRoot() / 3
        XCTAssertEqual(avg.difference, (0.075 + 0.5 + 0.10) / 3, accuracy: 1e-12)
        XCTAssertEqual(avg.low, avg.difference - 1.959964 * seA, accuracy: 0.1 * seA)
        XCTAssertEqual(avg.high, avg.difference + 1.959964 * seA, accuracy: 0.1 * seA)
        XCTAssertEqual(avg.n, 816)
        // Paper: MeTA-LoRA − LoRA = 46.34 − 29.43 = +16.91 on MMLU (outside [3.0, 12.0]); BBH 39.53 − 30.24 = +9.29 (inside).
        let lines = out.text.split(separator: "\n").map(String.init)
        let mmluLine = try XCTUnwrap(lines.first { $0.hasPrefix("LoRA ") && $0.contains(" MMLU ") })
        XCTAssertTrue(mmluLine.contains("+7.50") && mmluLine.contains("+16.91") && mmluLine.hasSuffix("no"), mmluLine)
        let bbhLine = try XCTUnwrap(lines.first { $0.hasPrefix("LoRA ") && $0.contains(" BBH ") })
        XCTAssertTrue(bbhLine.contains("+10.00") && bbhLine.contains("+9.29") && bbhLine.hasSuffix("yes"), bbhLine)
        XCTAssertTrue(out.text.contains("Overlapping ± bars are not a test"), out.text)
        // Base is compared too (Δ = MeTA-LoRA − Base): 160/400 − 100/400 = +15 on MMLU.
        XCTAssertEqual(try paired(r, "Base", "MMLU").difference, 0.15, accuracy: 1e-12)
        // Seeded: the same store gives the same intervals.
        XCTAssertEqual(try paired(try CompareCommand.run("table2", profile: "one", paths: paths).report, "LoRA", "AVG"), avg)
    }

    func testMissingMethodNamesTheCells() throws {
        let paths = try sandbox()
        _ = try fillDiscordant(paths, withHydra: false)
        let out = try CompareCommand.run(paths.spec("table2").path, profile: "one", paths: paths)
        XCTAssertFalse(out.ok, "a refused comparison fails the command")
        let refusal = try XCTUnwrap(out.report.refusals.first { $0.method == "HydraLoRA" && $0.column == "MMLU" })
        guard case .refused(let why) = refusal.outcome else { return XCTFail() }
        let spec = try ExperimentSpec.load(paths.spec("table2"))
        let line = try XCTUnwrap(spec.methods.first { $0.label == "HydraLoRA" }).line
        XCTAssertTrue(why.contains("missing from the store: spec entry 'HydraLoRA' (\(spec.file):\(line)) budget full, seed 0, benchmark mmlu"), why)
        let avg = try XCTUnwrap(out.report.refusals.first { $0.method == "HydraLoRA" && $0.column == "AVG" })
        guard case .refused(let avgWhy) = avg.outcome else { return XCTFail() }
        XCTAssertTrue(avgWhy.hasPrefix("the average needs every part: MMLU: missing"), avgWhy)
        XCTAssertTrue(out.text.contains("refused (4):") && out.text.contains("HydraLoRA vs MeTA-LoRA, BBH: missing from the store"), out.text)
        // LoRA's comparisons are still made.
        XCTAssertEqual(try paired(out.report, "LoRA", "MMLU").difference, 0.075, accuracy: 1e-12)
    }

    func testDifferentItemSetsAreRefusedNamingTheItems() throws {
        let paths = try sandbox()
        let (_, _, cells) = try plan(paths, "one")
        let s = try ResultsStore(path: paths.store.path)
        let ids = (0..<5).map { "q\($0)" }
        var other = ids; other[4] = "q9"
        let ok = [true, false, true, false, true]
        try store(s, cells, label: "MeTA-LoRA", ["mmlu": [("all", ok, ids)]])
        try store(s, cells, label: "LoRA", ["mmlu": [("all", ok, other)]])
        let r = try CompareCommand.run("2", profile: "one", paths: paths).report
        let c = try XCTUnwrap(r.comparisons.first { $0.method == "LoRA" && $0.column == "MMLU" })
        guard case .refused(let why) = c.outcome else { return XCTFail("compared over different items: \(c.outcome)") }
        XCTAssertTrue(why.hasPrefix("different item sets: MeTA-LoRA seed 0 scored 5 items, LoRA seed 0 5"), why)
        XCTAssertTrue(why.contains("1 only in MeTA-LoRA seed 0 (e.g. all/q4)") && why.contains("1 only in LoRA seed 0 (e.g. all/q9)"), why)
    }

    /// Two seeds: each item's difference is the mean of the seed-by-seed differences.
    func testSeedsArePairedSeedBySeed() throws {
        let paths = try sandbox()
        let (_, _, cells) = try plan(paths, "two")
        let s = try ResultsStore(path: paths.store.path)
        // Seed 0: b = 20, c = 0 of 100 (Δ₀ = 0.20); seed 1: b = 0, c = 10 (Δ₁ = −0.10). Pooled Δ = 0.05.
        let s0 = Self.outcomes(n: 100, b: 20, c: 0, both: 30), s1 = Self.outcomes(n: 100, b: 0, c: 10, both: 30)
        try store(s, cells, label: "MeTA-LoRA", seed: 0, ["mmlu": [("all", s0.ref, nil)]])
        try store(s, cells, label: "LoRA", seed: 0, ["mmlu": [("all", s0.method, nil)]])
        try store(s, cells, label: "MeTA-LoRA", seed: 1, ["mmlu": [("all", s1.ref, nil)]])
        let before = try CompareCommand.run("2", profile: "two", paths: paths).report
        let missing = try XCTUnwrap(before.comparisons.first { $0.method == "LoRA" && $0.column == "MMLU" })
        guard case .refused(let why) = missing.outcome else { return XCTFail() }
        XCTAssertTrue(why.contains("seed 1, benchmark mmlu"), why)
        try store(s, cells, label: "LoRA", seed: 1, ["mmlu": [("all", s1.method, nil)]])
        let r = try CompareCommand.run("2", profile: "two", paths: paths).report
        let d = try paired(r, "LoRA", "MMLU")
        XCTAssertEqual(d.difference, 0.05, accuracy: 1e-12)
        XCTAssertEqual(d.n, 100, "items, not item × seed pairs")
        guard case .paired(_, _, let seeds)? = r.comparisons.first(where: { $0.method == "LoRA" && $0.column == "MMLU" })?.outcome else { return XCTFail() }
        XCTAssertEqual(seeds, [0, 1])
    }

    func testBaseAndChanceRowsInMarkdownAndLatexAndPairedSection() throws {
        let paths = try sandbox()
        let s = try fillDiscordant(paths)
        let p = try Profile.named("one", in: paths.profiles)
        let md = try Tables.render("2", paths: paths, store: s, profile: p, formats: [.markdown], diff: true, write: false).text
        let lines = md.split(separator: "\n").map(String.init)
        // Base: 100/400 = 25.00 ± √(.25·.75/400) = 2.17 on MMLU.
        let base = try XCTUnwrap(lines.first { $0.hasPrefix("| Base |") }, md)
        XCTAssertTrue(base.contains("| 25.00 ± 2.17 | — | — |"), base)
        // chance: MMLU and MMLU-math 25.00, BBH (instruct-eval) 26.63, AVG (25 + 25 + 26.63)/3 = 25.54; no ±, no paper value.
        let chance = try XCTUnwrap(lines.first { $0.hasPrefix("| chance |") }, md)
        XCTAssertEqual(chance, "| chance | 25.00 | — | — | 25.00 | — | — | 26.63 | — | — | 25.54 | — | — |")
        XCTAssertTrue(md.contains("chance is each benchmark definition's expected accuracy of uniform guessing"), md)
        XCTAssertTrue(md.contains("**Paired comparisons with MeTA-LoRA**") && md.contains("| LoRA | MeTA-LoRA | MMLU | +7.50 |"), md)
        let tex = try Tables.render("2", paths: paths, store: s, profile: p, formats: [.latex], diff: true, write: false).text
        XCTAssertTrue(tex.contains("Base & 25.00 $\\pm$ 2.17 & --- & ---"), tex)
        XCTAssertTrue(tex.contains("chance & 25.00 & --- & --- & 25.00"), tex)
        XCTAssertTrue(tex.contains("\\paragraph{Paired comparisons with MeTA-LoRA}") && tex.contains("LoRA & MeTA-LoRA & MMLU & +7.50"), tex)
        // Without --diff there is no paired section.
        XCTAssertFalse(try Tables.render("2", paths: paths, store: s, profile: p, formats: [.markdown], write: false).text.contains("Paired comparisons"))
    }

    /// A spec without a base entry shows Base as soon as the store holds base cells of the same items.
    func testBaseRowAppearsWhenBaseCellsAreStored() throws {
        let withBase = try sandbox(withBase: true)
        let s = try fillDiscordant(withBase)
        let without = try sandbox(withBase: false)
        let p = try Profile.named("one", in: without.profiles)
        let md = try Tables.render("2", paths: without, store: s, profile: p, formats: [.markdown], write: false).text
        XCTAssertTrue(md.contains("| Base | 25.00 ± 2.17 |"), md)
        XCTAssertTrue(md.contains("2 of 3 planned runs"), "the caption counts the spec's cells: \(md)")
        let empty = try ResultsStore(path: without.root.appendingPathComponent("empty.sqlite").path)
        let none = try Tables.render("2", paths: without, store: empty, profile: p, formats: [.markdown], write: false).text
        XCTAssertFalse(none.contains("| Base |"), none)
        XCTAssertTrue(none.contains("| chance |"), none)
    }

    func testAtChanceMarkOnAndOff() throws {
        let paths = try sandbox()
        let (_, p, cells) = try plan(paths, "one")
        let s = try ResultsStore(path: paths.store.path)
        // 8 MMLU items: one-sample MDD at 0.25 is 2.8016·√(.1875/8) = 42.89 points; 2/8 and 3/8 are within it.
        // BBH: 200 items, MeTA-LoRA 80% right: 80 − 26.63 far beyond the MDD (2.8016·√(.2663·.7337/200) = 8.76).
        let eight = [true, true, false, false, false, false, false, false], three = [true, true, true] + [Bool](repeating: false, count: 5)
        let strong = [Bool](repeating: true, count: 160) + [Bool](repeating: false, count: 40)
        let weak = [Bool](repeating: true, count: 52) + [Bool](repeating: false, count: 148)
        try store(s, cells, label: "MeTA-LoRA", ["mmlu": [("all", three, nil)], "bbh": [("t", strong, nil)]])
        try store(s, cells, label: "LoRA", ["mmlu": [("all", eight, nil)], "bbh": [("t", weak, nil)]])
        try store(s, cells, label: "Base", ["mmlu": [("all", eight, nil)], "bbh": [("t", weak, nil)]])
        let data = try TableData.build(layout: try TableLayout.load(paths.layout("table2")), spec: try ExperimentSpec.load(paths.spec("table2")),
                                       profile: p, model: nil, store: s, reported: try ReportedNumbers(url: paths.reportedNumbers))
        XCTAssertEqual(Set(data.atChance.keys), [0], "MMLU only: BBH has signal, MMLU-math and AVG lack measurements")
        let mark = try XCTUnwrap(data.atChance[0])
        XCTAssertEqual(mark.chance, 25, accuracy: 1e-9)
        XCTAssertEqual(mark.mdd, 2.801585 * (0.1875 / 8).squareRoot() * 100, accuracy: 1e-3)
        let md = TableRenderer.markdown(data, diff: false)
        XCTAssertTrue(md.contains("| Method | MMLU † | paper | MMLU-math | paper | BBH | paper |"), md)
        XCTAssertTrue(md.contains("† at chance: no signal at this model size") && md.contains("MMLU (chance 25.00, MDD 42.89 points)"), md)
        XCTAssertTrue(TableRenderer.latex(data, diff: false).contains("MMLU $^\\dagger$ & paper"), "the mark in LaTeX")
        // One method clearly above chance on MMLU (8 of 8) removes the mark.
        let paths2 = try sandbox()
        let s2 = try ResultsStore(path: paths2.store.path)
        try store(s2, cells, label: "MeTA-LoRA", ["mmlu": [("all", [Bool](repeating: true, count: 8), nil)]])
        try store(s2, cells, label: "Base", ["mmlu": [("all", eight, nil)]])
        let data2 = try TableData.build(layout: try TableLayout.load(paths2.layout("table2")), spec: try ExperimentSpec.load(paths2.spec("table2")),
                                        profile: p, model: nil, store: s2, reported: try ReportedNumbers(url: paths2.reportedNumbers))
        XCTAssertTrue(data2.atChance.isEmpty, "\(data2.atChance)")
        XCTAssertFalse(TableRenderer.markdown(data2, diff: false).contains("†"))
    }

    /// The plan's MDD lines against hand computation: quick-like eval limit 3 on the mirror.
    func testPlanPowerLinesByHand() throws {
        let data = TestEnv.sharedData
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("mmlu").path) else { throw XCTSkip("no data mirror at \(data.path)") }
        let paths = try sandbox()
        let (spec, p, cells) = try plan(paths, "one")
        let r = try PlanPower.lines(spec: spec, cells: cells, profile: p, model: nil, paths: paths, store: nil,
                                    data: DataDirectory(root: data))
        XCTAssertNil(r.note)
        let z = 2.801585
        // MMLU: 57 subjects × 3 = 171 items, micro, p = chance 0.25: 2.8016·√(2·.25·.75/171) = 13.12 points.
        let mmlu = try XCTUnwrap(r.lines.first { $0.method == "LoRA" && $0.column == "MMLU" })
        XCTAssertEqual(mmlu.items, 171)
        XCTAssertEqual(mmlu.p, 0.25); XCTAssertEqual(mmlu.pSource, "chance")
        XCTAssertEqual(try XCTUnwrap(mmlu.mdd), z * (2 * 0.25 * 0.75 / 171).squareRoot() * 100, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(mmlu.mdd), 13.12, accuracy: 0.01)
        // BBH instruct-eval: 27 tasks × 3, macro: Σ (1/27)²·2p(1−p)/3 = 2p(1−p)/81 at p = 0.2663.
        let bbh = try XCTUnwrap(r.lines.first { $0.method == "LoRA" && $0.column == "BBH" })
        XCTAssertEqual(bbh.items, 81)
        XCTAssertEqual(try XCTUnwrap(bbh.mdd), z * (2 * 0.2663 * 0.7337 / 81).squareRoot() * 100, accuracy: 1e-3)
        // MMLU-math: 5 subjects × 3 = 15 items: 2.8016·√(2·.25·.75/15) = 44.30; the paper's LoRA Δ +4.70 is below it.
        let math = try XCTUnwrap(r.lines.first { $0.method == "LoRA" && $0.column == "MMLU-math" })
        XCTAssertEqual(math.items, 15)
        XCTAssertEqual(try XCTUnwrap(math.mdd), z * (2 * 0.25 * 0.75 / 15).squareRoot() * 100, accuracy: 1e-3)
        XCTAssertEqual(try XCTUnwrap(math.paper), 31.12 - 26.42, accuracy: 1e-9)
        XCTAssertTrue(math.cannotDetectPaper)
        // AVG: √(Σ MDD_j²)/3.
        let avg = try XCTUnwrap(r.lines.first { $0.method == "LoRA" && $0.column == "AVG" })
        XCTAssertEqual(try XCTUnwrap(avg.mdd), (mmlu.mdd! * mmlu.mdd! + math.mdd! * math.mdd! + bbh.mdd! * bbh.mdd!).squareRoot() / 3, accuracy: 1e-9)
        let text = PlanPower.text(r, table: "table2", profile: "one")
        XCTAssertTrue(text.contains("warning: LoRA vs MeTA-LoRA, MMLU-math: the paper's Δ +4.70 is smaller than the MDD 44.30 points: profile one cannot detect it"), text)
        XCTAssertFalse(text.contains("warning: LoRA vs MeTA-LoRA, MMLU:"), "16.91 > 13.12: detectable")
        XCTAssertTrue(text.contains("0.250 (chance)") && text.contains("note: p = chance where no base result is stored yet"), text)
        // Base vs MeTA-LoRA is a comparison too (no paper value: no warning).
        XCTAssertTrue(r.lines.contains { $0.method == "Base" && $0.column == "MMLU" && $0.paper == nil })

        // With a base result stored, p is the base accuracy (4 of 10): 2.8016·√(2·.4·.6/171).
        let s = try ResultsStore(path: paths.store.path)
        try store(s, cells, label: "Base", ["mmlu": [("all", [Bool](repeating: true, count: 4) + [Bool](repeating: false, count: 6), nil)]])
        let r2 = try PlanPower.lines(spec: spec, cells: cells, profile: p, model: nil, paths: paths, store: s, data: DataDirectory(root: data))
        let mmlu2 = try XCTUnwrap(r2.lines.first { $0.method == "LoRA" && $0.column == "MMLU" })
        XCTAssertEqual(mmlu2.p, 0.4, accuracy: 1e-12); XCTAssertEqual(mmlu2.pSource, "base")
        XCTAssertEqual(try XCTUnwrap(mmlu2.mdd), z * (2 * 0.4 * 0.6 / 171).squareRoot() * 100, accuracy: 1e-3)

        // Unreadable data: an upper bound from the eval limit, said so.
        let r3 = try PlanPower.lines(spec: spec, cells: cells, profile: p, model: nil, paths: paths, store: nil,
                                     data: DataDirectory(root: paths.root.appendingPathComponent("no-data")))
        let mmlu3 = try XCTUnwrap(r3.lines.first { $0.method == "LoRA" && $0.column == "MMLU" })
        XCTAssertEqual(mmlu3.items, 171)
        XCTAssertTrue(mmlu3.caveat?.hasPrefix("upper bound 57 subsets × 3") ?? false, "\(String(describing: mmlu3.caveat))")
        // The plan command prints the section.
        let planText = try HarnessCommands.plan(spec: "experiments/table2.yaml", profile: "one", paths: paths)
        XCTAssertTrue(planText.contains("power on profile one, table2: minimum detectable difference"), planText)
    }
}
