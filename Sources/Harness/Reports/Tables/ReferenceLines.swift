// The reference lines of every benchmark table: "Base", the same model without an adapter scored
// on the same items (a cell planned and run like the others, Table 1's "Base" and Table 4's
// "LLaMA"), and "chance", the benchmark definition's expected accuracy of uniform guessing under
// the definition's own aggregation (an AVG column averages the columns' chance levels, as it
// averages their accuracies). Without them a table cannot say whether fine-tuning moved anything,
// or whether a benchmark carries any signal at this model size.
import Foundation
import Evaluation

public enum ReferenceLines {
    /// The label of the base entry the tables look base cells up with when the spec has none: a
    /// base cell's configuration holds no label, so its hash is the same whatever the entry is called.
    public static let defaultBaseLabel = "Base"

    /// The label of the spec's base entry, if it has one.
    public static func baseLabel(in spec: ExperimentSpec) -> String? { spec.methods.first { $0.method == "base" }?.label }

    /// Where a layout's benchmarks are: on its columns (Tables 2, 4–6, 8, 11–13), on its rows
    /// (Tables 1, 9, 10), or nowhere (Table 7's counters).
    public enum BenchmarkAxis: Equatable, Sendable { case columns, rows, none }

    public static func benchmarkAxis(_ layout: TableLayout) -> BenchmarkAxis {
        if layout.columns.contains(where: { $0.selector.benchmark != nil || $0.averageOf != nil }) { return .columns }
        if layout.rows.contains(where: { $0.selector.benchmark != nil }) { return .rows }
        return .none
    }

    /// The spec's base cells when it has a base entry; else those of a base entry planned from a
    /// base-only copy of the spec (for lookup: they are shown only when the store has them).
    public static func baseCells(spec: ExperimentSpec, planned: [ResolvedCell], profile: Profile, model: String?) throws -> [ResolvedCell] {
        if let label = baseLabel(in: spec) { return planned.filter { $0.methodLabel == label } }
        let entry = MethodEntry(label: defaultBaseLabel, method: "base", budgets: [.none], selection: "random", selectionTarget: nil,
                                hyper: [:], grid: [], line: 0)
        let baseOnly = ExperimentSpec(file: spec.file, name: spec.name, table: spec.table, setting: spec.setting,
                                      description: spec.description, methods: [entry], benchmarks: spec.benchmarks,
                                      seeds: spec.seeds, tasks: spec.tasks, precision: spec.precision, catalog: spec.catalog)
        return try Planner.plan(baseOnly, profile: profile, model: model)
    }

    /// The layout with a Base line (unless one of its lines already selects the base entry, or
    /// `includeBase` is false) and a chance line added on the method axis.
    public static func augment(_ layout: TableLayout, baseLabel: String, includeBase: Bool) -> TableLayout {
        var out = layout
        switch benchmarkAxis(layout) {
        case .none: return layout
        case .columns:
            let hasBase = layout.rows.contains { $0.selector.method == baseLabel }
            if includeBase && !hasBase {
                var row = LayoutRow(header: "Base", selector: CellSelector(method: baseLabel), reportedRow: nil)
                row.reference = .base
                out.rows.append(row)
            }
            var chance = LayoutRow(header: "chance", selector: CellSelector(), reportedRow: nil)
            chance.reference = .chance
            out.rows.append(chance)
        case .rows:
            let hasBase = layout.columns.contains { $0.selector.method == baseLabel }
            if includeBase && !hasBase {
                var col = LayoutColumn(header: "Base", selector: CellSelector(method: baseLabel), averageOf: nil, reportedColumn: nil)
                col.reference = .base
                out.columns.append(col)
            }
            var chance = LayoutColumn(header: "chance", selector: CellSelector(), averageOf: nil, reportedColumn: nil)
            chance.reference = .chance
            out.columns.append(chance)
        }
        return out
    }

    /// The chance level (percent) of a benchmark as the spec scores it (its variant's definition).
    public static func chance(benchmark: String, spec: ExperimentSpec) -> Double? {
        // A profile may add benchmarks the spec does not name (the study profile's probes).
        let variant = spec.benchmarks.first(where: { $0.name == benchmark })?.variant
        guard let def = try? BenchmarkRegistry.definition(name: benchmark, variant: variant) else { return nil }
        return def.chance * 100
    }

    /// A benchmark line whose every measured cell (Base and methods) lies within the minimum
    /// detectable difference of chance: nothing measured there can be told from guessing.
    public struct AtChance: Equatable, Sendable {
        public var header: String
        /// Percentage points.
        public var chance: Double
        public var mdd: Double
    }

    /// The benchmark lines (column index, or row index for `.rows` layouts) at chance. The MDD is
    /// PowerAnalysis.oneSampleMDD at the chance level over the items one run scored (80% power,
    /// α = 0.05); an AVG line combines its parts' MDDs as √(Σ MDD_j²)/J.
    public static func atChance(_ t: TableData) -> [Int: AtChance] {
        let axis = benchmarkAxis(t.layout)
        guard axis != .none else { return [:] }
        let lines = axis == .columns ? t.layout.columns.count : t.layout.rows.count
        func cell(_ line: Int, _ other: Int) -> CellValue { axis == .columns ? t.cells[other][line] : t.cells[line][other] }
        let others = axis == .columns ? t.layout.rows.count : t.layout.columns.count
        func isReference(_ other: Int) -> ReferenceLine? { axis == .columns ? t.layout.rows[other].reference : t.layout.columns[other].reference }
        func header(_ line: Int) -> String { axis == .columns ? t.layout.columns[line].header : t.layout.rows[line].header }
        func averageOf(_ line: Int) -> [Int]? {
            guard axis == .columns, let names = t.layout.columns[line].averageOf else { return nil }
            return names.compactMap { n in t.layout.columns.firstIndex { $0.header == n } }
        }
        // The chance level and the MDD of a line, from the chance line and a measured cell's items.
        var mddOf: [Int: Double] = [:]
        var chanceOf: [Int: Double] = [:]
        guard let chanceLine = (0..<others).first(where: { isReference($0) == .chance }) else { return [:] }
        for line in 0..<lines where averageOf(line) == nil {
            guard let c = cell(line, chanceLine).fixed else { continue }
            chanceOf[line] = c
            let sized = (0..<others).map { cell(line, $0) }.first { !$0.subsetSizes.isEmpty }
            if let s = sized, let m = PowerAnalysis.oneSampleMDD(sizes: s.subsetSizes, p: c / 100, weighting: s.weighting) {
                mddOf[line] = m * 100
            }
        }
        for line in 0..<lines {
            guard let parts = averageOf(line), let c = cell(line, chanceLine).fixed else { continue }
            let mdds = parts.compactMap { mddOf[$0] }
            guard mdds.count == parts.count, let m = PowerAnalysis.averageMDD(mdds) else { continue }
            chanceOf[line] = c; mddOf[line] = m
        }
        var out: [Int: AtChance] = [:]
        for (line, c) in chanceOf {
            guard let m = mddOf[line] else { continue }
            let means = (0..<others).filter { isReference($0) != .chance }.compactMap { cell(line, $0).mean }
            guard !means.isEmpty, means.allSatisfy({ abs($0 - c) < m }) else { continue }
            out[line] = AtChance(header: header(line), chance: c, mdd: m)
        }
        return out
    }

    /// The footnote naming the at-chance lines.
    public static func atChanceNote(_ marks: [Int: AtChance]) -> String {
        guard !marks.isEmpty else { return "" }
        let parts = marks.keys.sorted().map { i -> String in
            let a = marks[i]!
            return "\(a.header) (chance \(String(format: "%.2f", a.chance)), MDD \(String(format: "%.2f", a.mdd)) points)"
        }
        return "† at chance: no signal at this model size. Base and every method lie within the minimum detectable difference "
            + "(80% power, α = 0.05, over the items one run scores) of the chance level: " + parts.joined(separator: "; ") + "."
    }

    public static let mark = "†"
}
