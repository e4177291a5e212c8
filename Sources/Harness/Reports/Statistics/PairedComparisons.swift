// Every method of a table compared with MeTA-LoRA on the same items: per benchmark line and for
// the AVG, the difference Δ = MeTA-LoRA − method in points, its 95% paired-bootstrap interval
// (PairedBootstrap: 10,000 resamples, fixed seed, items redrawn within each subset) and p-value,
// and whether the paper's reported difference lies inside the interval. Significance is never
// read off overlapping ± bars: two methods scored on the same items share their items' difficulty,
// which only the paired difference removes.
//
// Seeds: each item's difference is the mean over seeds of the seed-by-seed differences (seed s of
// the method against seed s of MeTA-LoRA; both must have the same seeds), i.e. the difference of
// the seed-mean correctness, and the bootstrap redraws items, not seeds.
//
// A comparison is refused, with the reason, when a cell is missing from the store (naming the spec
// entry, seed and benchmark), when a run kept no per-item data, or when the two sides (or two
// seeds) scored different items (naming which).
import Foundation

public struct PairedComparison: Sendable {
    /// The compared line's header ("LoRA", "50 / HydraLoRA", "Base").
    public var method: String
    /// The MeTA-LoRA line it is compared with.
    public var reference: String
    /// The benchmark line's header, or the AVG column's.
    public var column: String
    public var outcome: Outcome

    public enum Outcome: Sendable {
        /// `difference` in fractions (reference − method); `paper` the paper's reported reference − method in points.
        case paired(PairedDifference, paper: Double?, seeds: [Int])
        case refused(String)
    }

    /// Whether the paper's reported difference lies inside the interval (nil when either is missing).
    public var paperInside: Bool? {
        guard case .paired(let d, let paper?, _) = outcome else { return nil }
        return d.contains(paper / 100)
    }
}

public struct PairedComparisonReport: Sendable {
    public var table: String
    public var profile: String
    public var comparisons: [PairedComparison]
    /// Why there is nothing to compare (no MeTA-LoRA line, no other method, no benchmark), if so.
    public var nothingToCompare: String?

    public var refusals: [PairedComparison] { comparisons.filter { if case .refused = $0.outcome { return true }; return false } }
}

public enum PairedComparisons {
    /// The method the paper's tables compare every other method with.
    public static let referenceMethod = "meta-lora"

    /// The compared lines of a layout: which lines are MeTA-LoRA, which are compared with which,
    /// and over which benchmark lines (shared by `compute` and the plan's power lines).
    public struct Pairing {
        public struct Line: Sendable { public let index: Int; public let header: String; let budget: String?; let grid: String?; let isReference: Bool }
        public let layout: TableLayout
        public let axis: ReferenceLines.BenchmarkAxis
        /// Benchmark lines (columns, or rows for `.rows` layouts) with a benchmark or an AVG.
        public let benchLines: [Int]
        public let pairs: [(method: Line, reference: Line)]
        public let nothingToCompare: String?

        public func selector(_ m: Int, _ b: Int) -> CellSelector {
            axis == .columns ? layout.rows[m].selector.merged(with: layout.columns[b].selector)
                             : layout.rows[b].selector.merged(with: layout.columns[m].selector)
        }
        public func benchHeader(_ b: Int) -> String { axis == .columns ? layout.columns[b].header : layout.rows[b].header }
        /// The AVG column's parts (column indices), nil for a benchmark line.
        public func averageParts(_ b: Int) -> [Int]? {
            guard axis == .columns, let names = layout.columns[b].averageOf else { return nil }
            return names.compactMap { n in layout.columns.firstIndex { $0.header == n } }
        }
        /// The paper's reported value of a cell (points), from the line's reported row and column.
        public func reported(_ m: Int, _ b: Int, _ numbers: ReportedNumbers) -> Double? {
            let (row, col) = axis == .columns ? (layout.rows[m], layout.columns[b]) : (layout.rows[b], layout.columns[m])
            guard let rr = row.reportedRow else { return nil }
            return numbers.value(table: layout.table, row: rr, column: col.reportedColumn ?? col.header)
        }
        /// reference − method as the paper reports it (points).
        public func paperDifference(_ method: Int, _ reference: Int, _ b: Int, _ numbers: ReportedNumbers) -> Double? {
            guard let a = reported(reference, b, numbers), let c = reported(method, b, numbers) else { return nil }
            return a - c
        }

        public init(layout: TableLayout, spec: ExperimentSpec) {
            self.layout = layout
            axis = ReferenceLines.benchmarkAxis(layout)
            let refLabels = Set(spec.methods.filter { $0.method == referenceMethod }.map(\.label))
            let methodCount = axis == .columns ? layout.rows.count : layout.columns.count
            let benchCount = axis == .columns ? layout.columns.count : layout.rows.count
            let lay = layout, ax = axis
            func sel(_ m: Int, _ b: Int) -> CellSelector {
                ax == .columns ? lay.rows[m].selector.merged(with: lay.columns[b].selector) : lay.rows[b].selector.merged(with: lay.columns[m].selector)
            }
            func reference(_ m: Int) -> ReferenceLine? { ax == .columns ? lay.rows[m].reference : lay.columns[m].reference }
            let bench = axis == .none ? [] : (0..<benchCount).filter { b in
                if ax == .columns, lay.columns[b].averageOf != nil { return true }
                return (0..<methodCount).contains { m in sel(m, b).benchmark != nil && sel(m, b).param == nil }
            }
            benchLines = bench
            guard let firstBench = bench.first(where: { b in ax == .rows || lay.columns[b].averageOf == nil }) else {
                pairs = []; nothingToCompare = "the table has no benchmark columns"; return
            }
            let lines: [Line] = (0..<methodCount).filter { reference($0) != .chance }.map { m in
                let s = sel(m, firstBench)
                return Line(index: m, header: ax == .columns ? lay.rows[m].header : lay.columns[m].header, budget: s.budget, grid: s.grid,
                            isReference: s.method.map(refLabels.contains) ?? false)
            }
            let refs = lines.filter(\.isReference), others = lines.filter { !$0.isReference }
            var out: [(method: Line, reference: Line)] = []
            for m in others {
                for r in refs where (m.budget == nil || r.budget == m.budget) && (m.grid == nil || r.grid == m.grid) { out.append((m, r)) }
            }
            pairs = out
            if refs.isEmpty { nothingToCompare = "the table has no MeTA-LoRA line" }
            else if others.isEmpty { nothingToCompare = "every line of the table is MeTA-LoRA (a sweep): nothing to compare it with" }
            else if out.isEmpty { nothingToCompare = "no line shares a budget and grid point with a MeTA-LoRA line" }
            else { nothingToCompare = nil }
        }
    }

    /// The comparisons of a filled table (TableData.build: its layout carries the Base line).
    public static func compute(_ t: TableData, spec: ExperimentSpec, store: ResultsStore) throws -> PairedComparisonReport {
        var report = PairedComparisonReport(table: t.layout.table, profile: t.profile, comparisons: [])
        let pairing = Pairing(layout: t.layout, spec: spec)
        if let why = pairing.nothingToCompare { report.nothingToCompare = why; return report }
        func cell(_ m: Int, _ b: Int) -> CellValue { pairing.axis == .columns ? t.cells[m][b] : t.cells[b][m] }
        var loader = ItemLoader(store: store, spec: spec)
        for (m, r) in pairing.pairs {
            var byBench: [Int: Result<[Stratum], Refusal>] = [:]
            for b in pairing.benchLines {
                let header = pairing.benchHeader(b)
                let paper: Double? = {
                    guard let a = cell(r.index, b).reported, let c = cell(m.index, b).reported else { return nil }
                    return a - c
                }()
                let outcome: PairedComparison.Outcome
                if let parts = pairing.averageParts(b) {
                    var strata: [Stratum] = [], reasons: [String] = [], seeds: [Int] = []
                    for p in parts {
                        switch byBench[p] {
                        case .success(let s)?: strata += s.map { var x = $0; x.weight /= Double(parts.count); return x }; seeds = s.first?.seeds ?? seeds
                        case .failure(let e)?: reasons.append("\(pairing.benchHeader(p)): \(e.reason)")
                        case nil: reasons.append("\(pairing.benchHeader(p)) is not a benchmark column")
                        }
                    }
                    if !reasons.isEmpty {
                        outcome = .refused("the average needs every part: " + reasons.joined(separator: "; "))
                    } else if let d = PairedBootstrap.run(strata: strata.map(\.differences), weights: strata.map(\.weight)) {
                        outcome = .paired(d, paper: paper, seeds: seeds)
                    } else { outcome = .refused("no paired items") }
                } else {
                    let sm = pairing.selector(m.index, b), sr = pairing.selector(r.index, b)
                    guard let bench = sm.benchmark ?? sr.benchmark else { continue }
                    let res = try strata(method: (m.header, TableData.matching(t.lookupCells, sm)),
                                         reference: (r.header, TableData.matching(t.lookupCells, sr)),
                                         benchmark: bench, loader: &loader)
                    byBench[b] = res
                    switch res {
                    case .success(let s):
                        if let d = PairedBootstrap.run(strata: s.map(\.differences), weights: s.map(\.weight)) {
                            outcome = .paired(d, paper: paper, seeds: s.first?.seeds ?? [])
                        } else { outcome = .refused("no paired items") }
                    case .failure(let e): outcome = .refused(e.reason)
                    }
                }
                report.comparisons.append(PairedComparison(method: m.header, reference: r.header, column: header, outcome: outcome))
            }
        }
        return report
    }

    /// One subset's per-item differences and its weight in the headline number.
    struct Stratum { var differences: [Double]; var weight: Double; var seeds: [Int] }
    struct Refusal: Error { let reason: String }

    /// The per-subset differences reference − method on one benchmark, or why they cannot be formed.
    static func strata(method: (label: String, cells: [ResolvedCell]), reference: (label: String, cells: [ResolvedCell]),
                       benchmark: String, loader: inout ItemLoader) throws -> Result<[Stratum], Refusal> {
        var missing: [String] = []
        var items: [String: [Int: BenchmarkItems]] = [:]
        for (label, cells) in [method, reference] {
            if cells.isEmpty { missing.append("\(label): no planned cells (the line names no entry of the spec)"); continue }
            for c in cells.sorted(by: { $0.seed < $1.seed }) {
                switch try loader.items(c, benchmark: benchmark) {
                case .success(let i): items[label, default: [:]][c.seed] = i
                case .failure(let e): missing.append(e.reason)
                }
            }
        }
        if !missing.isEmpty { return .failure(Refusal(reason: missing.joined(separator: "; "))) }
        var a = items[reference.label] ?? [:], b = items[method.label] ?? [:]
        // An untrained line (Base) is planned once: nothing of it depends on the seed, so its one
        // run stands against every seed of the other side.
        func untrained(_ cells: [ResolvedCell]) -> Bool { cells.allSatisfy { $0.descriptor.loop == .none } }
        if untrained(method.cells), b.count == 1, let only = b.values.first { b = Dictionary(uniqueKeysWithValues: a.keys.map { ($0, only) }) }
        if untrained(reference.cells), a.count == 1, let only = a.values.first { a = Dictionary(uniqueKeysWithValues: b.keys.map { ($0, only) }) }
        guard Set(a.keys) == Set(b.keys) else {
            return .failure(Refusal(reason: "seeds differ: \(reference.label) has \(a.keys.sorted()), \(method.label) has \(b.keys.sorted()); pairing is seed by seed"))
        }
        let seeds = a.keys.sorted()
        let first = a[seeds[0]]!
        // Every run, both sides and all seeds, must have scored exactly the first run's items.
        let keys = first.itemKeys, keySet = Set(keys)
        for (label, runs) in [(reference.label, a), (method.label, b)] {
            for s in seeds {
                let other = runs[s]!
                if other.itemKeys.count != keys.count || Set(other.itemKeys) != keySet {
                    return .failure(Refusal(reason: "different item sets: \(itemDifference(keys, "\(reference.label) seed \(seeds[0])", other.itemKeys, "\(label) seed \(s)"))"))
                }
                if other.weighting != first.weighting {
                    return .failure(Refusal(reason: "\(label) seed \(s) averages \(benchmark) \(other.weighting.rawValue), \(reference.label) \(first.weighting.rawValue)"))
                }
            }
        }
        func correctness(_ i: BenchmarkItems) -> [String: Double] {
            var out: [String: Double] = [:]
            for s in i.subsets { for item in s.items { out["\(s.name)/\(item.id)"] = item.correct ? 1 : 0 } }
            return out
        }
        let ca = seeds.map { correctness(a[$0]!) }, cb = seeds.map { correctness(b[$0]!) }
        let weights = Statistics.weights(first.tallies, weighting: first.weighting)
        var out: [Stratum] = []
        for (k, subset) in first.subsets.enumerated() {
            let d = subset.items.map { item -> Double in
                let key = "\(subset.name)/\(item.id)"
                return zip(ca, cb).reduce(0.0) { $0 + $1.0[key]! - $1.1[key]! } / Double(seeds.count)
            }
            out.append(Stratum(differences: d, weight: weights[k], seeds: seeds))
        }
        return .success(out)
    }

    /// "171 vs 114 items; 57 only in LoRA seed 0 (e.g. astronomy/3)…" for a refusal.
    static func itemDifference(_ x: [String], _ xName: String, _ y: [String], _ yName: String) -> String {
        let sx = Set(x), sy = Set(y)
        let onlyX = x.filter { !sy.contains($0) }, onlyY = y.filter { !sx.contains($0) }
        var parts = ["\(xName) scored \(x.count) items, \(yName) \(y.count)"]
        if !onlyX.isEmpty { parts.append("\(onlyX.count) only in \(xName) (e.g. \(onlyX.prefix(3).joined(separator: ", ")))") }
        if !onlyY.isEmpty { parts.append("\(onlyY.count) only in \(yName) (e.g. \(onlyY.prefix(3).joined(separator: ", ")))") }
        if onlyX.isEmpty && onlyY.isEmpty { parts.append("an item is scored twice") }
        return parts.joined(separator: "; ")
    }

    /// Reads (and caches) the per-item correctness of a cell's run.
    struct ItemLoader {
        let store: ResultsStore
        let spec: ExperimentSpec
        var cache: [String: Result<BenchmarkItems, Refusal>] = [:]

        mutating func items(_ c: ResolvedCell, benchmark: String) throws -> Result<BenchmarkItems, Refusal> {
            let key = c.configHash + "/" + benchmark
            if let r = cache[key] { return r }
            let r = try load(c, benchmark: benchmark)
            cache[key] = r
            return r
        }

        func load(_ c: ResolvedCell, benchmark: String) throws -> Result<BenchmarkItems, Refusal> {
            let entry = spec.methods.first { $0.label == c.methodLabel }
            let name = entry.map { "spec entry '\($0.label)' (\(spec.file):\($0.line))" }
                ?? "'\(c.methodLabel)' (no entry in \(spec.file): add {name: \(c.method), label: \(c.methodLabel)})"
            let cellName = "\(name)\(c.budget == .none ? "" : " budget \(c.budget)")\(c.gridLabel.map { " grid \($0)" } ?? ""), seed \(c.seed), benchmark \(benchmark)"
            guard let run = try store.doneRun(configHash: c.configHash) else {
                return .failure(Refusal(reason: "missing from the store: \(cellName) (config \(c.configHash.prefix(12)))"))
            }
            guard let m = try store.metrics(runID: run.id).first(where: {
                $0.benchmark == benchmark && $0.subset == Registry.overallSubset && $0.metric == Registry.headlineMetric }) else {
                return .failure(Refusal(reason: "run \(run.id) (\(cellName)) has no \(benchmark) result"))
            }
            guard let items = try BenchmarkItems.load(store: store, runID: run.id, benchmark: benchmark, settings: m.settings) else {
                return .failure(Refusal(reason: "run \(run.id) (\(cellName)) kept no per-item data"))
            }
            return .success(items)
        }
    }
}
