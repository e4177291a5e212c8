// The power lines `metalora plan` prints under the cells: for each paired comparison of the
// spec's table (every method vs MeTA-LoRA, per benchmark and for the AVG), the minimum detectable
// difference at 80% power and α = 0.05 (PowerAnalysis.pairedMDD) from the items the profile
// evaluates and the base model's accuracy — the chance level where no base result is stored yet —
// and a warning where the paper's reported difference is smaller than that: the profile cannot
// detect it, whatever the runs show.
import Foundation
import struct Data.DataDirectory
import Evaluation

public enum PlanPower {
    /// One benchmark's evaluated items per subset on the profile, and how they were counted.
    public struct EvalSizes: Sendable {
        public var sizes: [Int]
        public var weighting: SubsetWeighting
        /// nil when the items were counted from the data; else why they are an upper bound or unknown.
        public var caveat: String?
    }

    public struct Line: Sendable {
        public var method: String
        public var reference: String
        public var column: String
        public var items: Int
        /// Accuracy the MDD assumes (fraction), and where it comes from.
        public var p: Double
        public var pSource: String
        /// Points; nil when the items are unknown.
        public var mdd: Double?
        public var paper: Double?
        public var caveat: String?
        /// The paper's difference is smaller than the MDD.
        public var cannotDetectPaper: Bool { guard let m = mdd, let p = paper else { return false }; return abs(p) < m }
    }

    /// Counts the items `CellEvaluation` would score (same shots, same limit) without a model.
    public static func evalSizes(_ b: BenchmarkSpec, evalLimit: Int?, data: DataDirectory) -> EvalSizes {
        guard let def = try? BenchmarkRegistry.definition(name: b.name, variant: b.variant) else {
            return EvalSizes(sizes: [], weighting: .micro, caveat: "no definition for \(b.name)")
        }
        let weighting: SubsetWeighting = def.aggregation.primary == .macro ? .macro : .micro
        let limit = b.limit ?? evalLimit
        let subsets = b.subsets.map { names in def.subsets.filter { names.contains($0.name) } } ?? def.subsets
        if def.format == .trainingHeldOut, let limit {
            // Built from the training tasks' held-out draws inside a cell: limit items per task.
            return EvalSizes(sizes: subsets.map { _ in limit }, weighting: weighting, caveat: nil)
        }
        do {
            let prepared = try ItemPreparation.prepare(def, options: EvaluationOptions(dataDirectory: data, subsets: b.subsets, shots: b.shots, limit: limit))
            return EvalSizes(sizes: prepared.subsets.map { prepared.items[$0]?.count ?? 0 }, weighting: weighting, caveat: nil)
        } catch {
            guard let limit else {
                return EvalSizes(sizes: [], weighting: weighting, caveat: "items unknown: the data cannot be read (\(error))")
            }
            return EvalSizes(sizes: subsets.map { _ in limit }, weighting: weighting,
                             caveat: "upper bound \(subsets.count) subsets × \(limit): the data cannot be read (\(error))")
        }
    }

    /// The power lines of a planned spec. `store` supplies the base accuracy when it holds base cells.
    public static func lines(spec: ExperimentSpec, cells: [ResolvedCell], profile: Profile, model: String?, paths: HarnessPaths,
                             store: ResultsStore?, data: DataDirectory) throws -> (lines: [Line], note: String?) {
        let url = paths.layout(spec.table)
        guard FileManager.default.fileExists(atPath: url.path) else { return ([], "no table layout \(url.lastPathComponent)") }
        let paper = try TableLayout.load(url).addingColumns(for: profile.benchmarks)
        let baseLabel = ReferenceLines.baseLabel(in: spec)
        let layout = ReferenceLines.augment(paper, baseLabel: baseLabel ?? ReferenceLines.defaultBaseLabel, includeBase: baseLabel != nil)
        let pairing = PairedComparisons.Pairing(layout: layout, spec: spec)
        if let why = pairing.nothingToCompare { return ([], why) }
        let reported = try ReportedNumbers(url: paths.reportedNumbers)
        let baseCells = try ReferenceLines.baseCells(spec: spec, planned: cells, profile: profile, model: model)
        var sizes: [String: EvalSizes] = [:]
        var baseAccuracy: [String: Double] = [:]
        for b in cells.first?.benchmarks ?? spec.benchmarks {
            sizes[b.name] = evalSizes(b, evalLimit: profile.evalLimit, data: data)
            if let store {
                for c in baseCells.sorted(by: { $0.seed < $1.seed }) {
                    guard let run = try store.doneRun(configHash: c.configHash),
                          let m = try store.metrics(runID: run.id).first(where: {
                              $0.benchmark == b.name && $0.subset == Registry.overallSubset && $0.metric == Registry.headlineMetric }) else { continue }
                    baseAccuracy[b.name] = m.value
                    break
                }
            }
        }
        func single(_ bench: String) -> (items: Int, p: Double, source: String, mdd: Double?, caveat: String?) {
            let s = sizes[bench] ?? EvalSizes(sizes: [], weighting: .micro, caveat: "not in the spec")
            // A base accuracy of exactly 0 or 1 (a handful of items) would give an MDD of 0: use chance there.
            let chance = ((ReferenceLines.chance(benchmark: bench, spec: spec) ?? 50) / 100, "chance")
            let (p, source): (Double, String) = baseAccuracy[bench].flatMap { $0 > 0 && $0 < 1 ? ($0, "base") : nil } ?? chance
            let mdd = PowerAnalysis.pairedMDD(sizes: s.sizes, p: p, weighting: s.weighting).map { $0 * 100 }
            return (s.sizes.reduce(0, +), p, source, mdd, s.caveat)
        }
        var out: [Line] = []
        for (m, r) in pairing.pairs {
            var byBench: [Int: (items: Int, p: Double, source: String, mdd: Double?, caveat: String?)] = [:]
            for b in pairing.benchLines {
                let diff = pairing.paperDifference(m.index, r.index, b, reported)
                if let parts = pairing.averageParts(b) {
                    let ps = parts.compactMap { byBench[$0] }
                    guard ps.count == parts.count else { continue }
                    let mdds = ps.compactMap(\.mdd)
                    let sources = Set(ps.map(\.source))
                    out.append(Line(method: m.header, reference: r.header, column: pairing.benchHeader(b), items: ps.reduce(0) { $0 + $1.items },
                                    p: ps.reduce(0) { $0 + $1.p } / Double(ps.count), pSource: sources.count == 1 ? sources.first! : "mixed",
                                    mdd: mdds.count == ps.count ? PowerAnalysis.averageMDD(mdds) : nil, paper: diff,
                                    caveat: ps.compactMap(\.caveat).first))
                    continue
                }
                guard let bench = pairing.selector(m.index, b).benchmark ?? pairing.selector(r.index, b).benchmark else { continue }
                let x = single(bench)
                byBench[b] = x
                out.append(Line(method: m.header, reference: r.header, column: pairing.benchHeader(b), items: x.items, p: x.p, pSource: x.source,
                                mdd: x.mdd, paper: diff, caveat: x.caveat))
            }
        }
        return (out, nil)
    }

    /// The section as plain text (appended to `metalora plan`).
    public static func text(_ r: (lines: [Line], note: String?), table: String, profile: String) -> String {
        var s = "\npower on profile \(profile), \(table): minimum detectable difference (MDD) of Δ = MeTA-LoRA − method at 80% power, α = 0.05, "
            + "from the items one run evaluates and the accuracy p (MDD = 2.80 · √(Σ w_s² · 2p(1−p)/n_s), independent errors: a cautious bound)\n"
        if let note = r.note { return s + "no paired comparisons: \(note)\n" }
        let header = ["method", "vs", "column", "items", "p", "MDD", "paper Δ"]
        var rows: [[String]] = []
        for l in r.lines {
            rows.append([l.method, l.reference, l.column, String(l.items), String(format: "%.3f", l.p) + " (\(l.pSource))",
                         l.mdd.map { String(format: "%.2f", $0) } ?? "?", l.paper.map(PairedComparisonText.signed) ?? "—"])
        }
        let all = [header] + rows
        let widths = header.indices.map { j in all.map { $0[j].count }.max()! }
        for line in all {
            s += "  " + line.enumerated().map { j, x in x + String(repeating: " ", count: widths[j] - x.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
        }
        for l in r.lines where l.cannotDetectPaper {
            s += "warning: \(l.method) vs \(l.reference), \(l.column): the paper's Δ \(PairedComparisonText.signed(l.paper!)) is smaller than the MDD "
                + String(format: "%.2f", l.mdd!) + " points: profile \(profile) cannot detect it\n"
        }
        for c in Set(r.lines.compactMap(\.caveat)).sorted() { s += "note: \(c)\n" }
        if r.lines.contains(where: { $0.pSource != "base" }) {
            s += "note: p = chance where no base result is stored yet; with the Base cells run (and --db naming their store) p is the base model's accuracy\n"
        }
        return s
    }

    /// The section for `metalora plan`: the spec's table, its default store when present.
    public static func section(spec: ExperimentSpec, cells: [ResolvedCell], profile: Profile, model: String?, paths: HarnessPaths,
                               db: String? = nil) throws -> String {
        let storeURL = db.map(paths.resolve) ?? paths.store
        let store = FileManager.default.fileExists(atPath: storeURL.path) ? try ResultsStore(path: storeURL.path, mustExist: true) : nil
        let dataPath = ProcessInfo.processInfo.environment["METALORA_DATA"].flatMap { $0.isEmpty ? nil : $0 }
        let data = DataDirectory(root: dataPath.map(paths.resolve) ?? paths.data)
        return text(try lines(spec: spec, cells: cells, profile: profile, model: model, paths: paths, store: store, data: data),
                    table: spec.table, profile: profile.name)
    }
}
