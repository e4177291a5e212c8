// Fills a table layout from the store: each cell gathers its planned cells' finished runs (one per
// seed) and reduces them to mean ± sd. Missing runs stay missing; nothing is ever filled in.
import Foundation

public struct CellValue: Sendable {
    /// Per-seed measured values (empty = missing).
    public var bySeed: [Int: Double] = [:]
    /// Per-seed standard error over items (percentage points); a seed without one kept no per-item data.
    public var standardErrorBySeed: [Int: Double] = [:]
    /// Per-seed number of evaluated items.
    public var itemsBySeed: [Int: Int] = [:]
    /// Seeds the plan expects for this cell.
    public var expectedSeeds: Int = 0
    /// A shown parameter (Tables 8 and 11) instead of a measurement.
    public var text: String?
    public var reported: Double?
    /// A known value instead of a measurement: the chance line's level (percent).
    public var fixed: Double?
    /// Items per subset of one run and the benchmark's weighting (for the minimum detectable difference).
    public var subsetSizes: [Int] = []
    public var weighting: SubsetWeighting = .micro

    public var mean: Double? { bySeed.isEmpty ? nil : bySeed.values.reduce(0, +) / Double(bySeed.count) }
    /// Sample standard deviation over seeds (nil with fewer than two).
    public var sd: Double? {
        guard bySeed.count > 1, let m = mean else { return nil }
        return (bySeed.values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(bySeed.count - 1)).squareRoot()
    }
    public var delta: Double? { guard let m = mean, let r = reported else { return nil }; return m - r }
    /// With one seed: that seed's standard error over items (nil = no per-item data).
    public var singleSeedStandardError: Double? { bySeed.count == 1 ? standardErrorBySeed[bySeed.keys.first!] : nil }
}

public struct TableData: Sendable {
    public let layout: TableLayout
    public let profile: String
    public let model: String
    /// [row][column]
    public let cells: [[CellValue]]
    public let runs: [RunRecord]
    public let overrides: [String]
    public let plannedCells: Int
    /// The setting's data caveat (substitutes, pools), stated in the caption.
    public let settingNote: String
    /// Precisions of the planned cells (f32, bf16), named in the caption.
    public var precisions: [String] = []
    /// Best-of-grid choices of `select_best` entries (by method label), stated in the caption.
    public var gridChoices: [String: GridSelection.Choice] = [:]
    /// The planned cells the layout's lines select from: the spec's, plus base cells planned for
    /// lookup when the spec has no base entry (ReferenceLines).
    public var lookupCells: [ResolvedCell] = []
    /// The benchmark lines at chance (ReferenceLines.atChance), by column (or row) index.
    public var atChance: [Int: ReferenceLines.AtChance] = [:]

    /// The planned cells a merged selector picks (one per seed).
    public static func matching(_ planned: [ResolvedCell], _ sel: CellSelector) -> [ResolvedCell] {
        planned.filter { c in
            (sel.method == nil || c.methodLabel == sel.method) && (sel.budget == nil || c.budget.description == sel.budget)
                && (sel.grid == nil || c.gridLabel == sel.grid)
        }
    }

    /// Resolves the layout's spec on the profile and reads every cell's runs from the store. The
    /// layout gains the Base and chance lines (ReferenceLines); Base appears when the spec has a
    /// base entry or the store holds base cells of the same items.
    public static func build(layout paperLayout: TableLayout, spec: ExperimentSpec, profile: Profile, model: String?,
                             store: ResultsStore, reported: ReportedNumbers) throws -> TableData {
        let planned = try Planner.plan(spec, profile: profile, model: model)
        let specBase = ReferenceLines.baseLabel(in: spec)
        var lookup = planned
        var includeBase = specBase != nil
        if specBase == nil, ReferenceLines.benchmarkAxis(paperLayout) != .none {
            let base = try ReferenceLines.baseCells(spec: spec, planned: planned, profile: profile, model: model)
            if try base.contains(where: { try store.doneRun(configHash: $0.configHash) != nil }) { lookup += base; includeBase = true }
        }
        let layout = ReferenceLines.augment(paperLayout, baseLabel: specBase ?? ReferenceLines.defaultBaseLabel, includeBase: includeBase)
        var runsByHash: [String: RunRecord] = [:]
        var metricsByRun: [Int64: [MetricRecord]] = [:]
        for c in lookup where runsByHash[c.configHash] == nil {
            if let r = try store.doneRun(configHash: c.configHash) {
                runsByHash[c.configHash] = r
                metricsByRun[r.id] = try store.metrics(runID: r.id)
            }
        }
        let choices = try GridSelection.choices(spec: spec, planned: planned, store: store)
        var grid: [[CellValue]] = []
        for row in layout.rows {
            var line: [CellValue] = []
            for col in layout.columns {
                var v = CellValue()
                if let rr = row.reportedRow {
                    v.reported = reported.value(table: layout.table, row: rr, column: col.reportedColumn ?? col.header)
                }
                if row.reference == .chance || col.reference == .chance {
                    let sel = row.selector.merged(with: col.selector)
                    if let b = sel.benchmark, sel.param == nil { v.fixed = ReferenceLines.chance(benchmark: b, spec: spec) }
                } else if col.averageOf == nil {
                    let sel = row.selector.merged(with: col.selector)
                    // A selecting entry's line without a grid label reports the chosen point only.
                    let matching = matching(lookup, sel).filter { c in
                        sel.grid != nil || choices[c.methodLabel].map { $0.chosen == c.gridLabel } ?? true
                    }
                    v.expectedSeeds = matching.count
                    if let p = sel.param {
                        v.text = matching.first?.hyper[p]?.display
                    } else {
                        for c in matching {
                            guard let run = runsByHash[c.configHash] else { continue }
                            if let b = sel.benchmark {
                                if let m = metricsByRun[run.id]?.first(where: {
                                    $0.benchmark == b && $0.subset == Registry.overallSubset && $0.metric == Registry.headlineMetric }) {
                                    v.bySeed[c.seed] = m.value * 100
                                    v.itemsBySeed[c.seed] = m.n
                                    if let items = try BenchmarkItems.load(store: store, runID: run.id, benchmark: b, settings: m.settings) {
                                        if let se = items.estimate?.standardError { v.standardErrorBySeed[c.seed] = se * 100 }
                                        if v.subsetSizes.isEmpty { v.subsetSizes = items.tallies.map(\.n); v.weighting = items.weighting }
                                    }
                                }
                            } else if let counter = sel.counter {
                                let x: Double? = {
                                    switch counter {
                                    case "optimizer_steps": return run.optimizerSteps.map(Double.init)
                                    case "samples": return run.samples.map(Double.init)
                                    case "tokens": return run.tokens.map(Double.init)
                                    default: return run.wallSeconds.map { $0 / 3600 }
                                    }
                                }()
                                if let x = x { v.bySeed[c.seed] = x }
                            }
                        }
                    }
                }
                line.append(v)
            }
            // AVG columns: per seed, the mean of the named columns when all of them have that seed.
            for (j, col) in layout.columns.enumerated() {
                guard let names = col.averageOf else { continue }
                let idx = names.compactMap { n in layout.columns.firstIndex { $0.header == n } }
                let parts = idx.map { line[$0] }
                let fixed = parts.compactMap(\.fixed)
                if !parts.isEmpty && fixed.count == parts.count { line[j].fixed = fixed.reduce(0, +) / Double(fixed.count); continue }
                line[j].expectedSeeds = parts.map(\.expectedSeeds).min() ?? 0
                guard let first = parts.first else { continue }
                for seed in first.bySeed.keys {
                    let vals = parts.compactMap { $0.bySeed[seed] }
                    guard vals.count == parts.count else { continue }
                    let estimates = parts.map { Estimate(value: $0.bySeed[seed]!, n: $0.itemsBySeed[seed] ?? 0, standardError: $0.standardErrorBySeed[seed]) }
                    let avg = Statistics.average(estimates)!
                    line[j].bySeed[seed] = avg.value
                    line[j].itemsBySeed[seed] = avg.n
                    if let se = avg.standardError { line[j].standardErrorBySeed[seed] = se }
                }
            }
            grid.append(line)
        }
        let used = planned.compactMap { runsByHash[$0.configHash] }
        var uniqueRuns: [RunRecord] = []
        for r in used where !uniqueRuns.contains(where: { $0.id == r.id }) { uniqueRuns.append(r) }
        var data = TableData(layout: layout, profile: profile.name, model: model ?? profile.model ?? "?", cells: grid, runs: uniqueRuns,
                             overrides: Array(Set(planned.flatMap(\.overrides))).sorted(), plannedCells: planned.count,
                             settingNote: Registry.setting(spec.setting)?.note ?? "")
        data.precisions = Set(planned.map(\.precision.rawValue)).sorted()
        data.gridChoices = choices
        data.lookupCells = lookup
        data.atChance = ReferenceLines.atChance(data)
        return data
    }

    /// What ± means in this table, and n per benchmark column.
    public var uncertaintyNote: String {
        let measured = cells.flatMap { $0 }.filter { $0.text == nil && !$0.bySeed.isEmpty }
        guard !measured.isEmpty, !isCounterTable else { return "" }
        var s = "± is the standard error over evaluated items with 1 seed (binomial per subset; subsets combined with the benchmark's weights; AVG = √ΣSE²/J), and the sample sd over seeds with several seeds (per-seed values listed below the table); \"no per-item data\" marks a run stored without per-item correctness."
        var ns: [String] = []
        for (j, c) in layout.columns.enumerated() where c.averageOf == nil {
            let counts = Set(cells.compactMap { row in row[j].itemsBySeed.values.first })
            if !counts.isEmpty { ns.append("\(c.header) \(counts.sorted().map(String.init).joined(separator: "/"))") }
        }
        if !ns.isEmpty { s += " n (items per run): " + ns.joined(separator: ", ") + "." }
        return s
    }

    var isCounterTable: Bool { layout.rows.contains { $0.selector.counter != nil } }

    /// The caption: what was measured, on which model and profile, with every override.
    public var caption: String {
        var parts = ["\(layout.title)."]
        var measured = "Measured with profile \(profile) on model \(model)"
        let shas = Set(runs.compactMap(\.modelSHA256)).sorted()
        if !shas.isEmpty { measured += " (sha256 \(shas.map { String($0.prefix(12)) }.joined(separator: ", ")))" }
        let codes = Set(runs.map(\.codeVersion)).sorted()
        if !codes.isEmpty { measured += ", code \(codes.joined(separator: ", "))" }
        let dates = runs.compactMap { $0.finishedAt.map { String($0.prefix(10)) } }.sorted()
        if let a = dates.first, let b = dates.last { measured += ", runs finished \(a == b ? a : "\(a) to \(b)")" }
        measured += "; \(runs.count) of \(plannedCells) planned runs are in the store"
        parts.append(measured + ".")
        if !precisions.isEmpty { parts.append("Frozen-weight products in \(precisions.joined(separator: " and ")).") }
        if !overrides.isEmpty { parts.append("Profile overrides: " + overrides.joined(separator: "; ") + ".") }
        if !settingNote.isEmpty { parts.append("Data: \(settingNote).") }
        if !isCounterTable {
            parts.append(gridChoices.isEmpty ? GridSelection.noSelection
                         : gridChoices.keys.sorted().map { gridChoices[$0]!.sentence }.joined(separator: " "))
        }
        parts.append("Paper values (\(layout.reportedModel ?? "as reported")) from reported-numbers.yaml; — marks a missing value, never filled.")
        parts.append(uncertaintyNote)
        if layout.rows.contains(where: { $0.reference != nil }) || layout.columns.contains(where: { $0.reference != nil }) {
            parts.append("Reference lines: Base is the same model without an adapter, scored on the same items; chance is each benchmark definition's expected accuracy of uniform guessing, averaged as the metric is.")
        }
        let note = ReferenceLines.atChanceNote(atChance)
        if !note.isEmpty { parts.append(note) }
        return parts.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
