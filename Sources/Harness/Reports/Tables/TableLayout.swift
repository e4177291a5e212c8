// A table layout (paper-tables/tableN.yaml): the paper's rows and columns, and which measured
// quantity fills each cell. A cell's selector is its row's merged with its column's.
import Foundation

public struct CellSelector: Equatable, Sendable {
    public var method: String?
    public var budget: String?
    public var grid: String?
    public var benchmark: String?
    /// optimizer_steps, samples, tokens or wall_h (Table 7).
    public var counter: String?
    /// A hyper-parameter of the resolved cell, shown as is (Tables 8 and 11).
    public var param: String?

    func merged(with o: CellSelector) -> CellSelector {
        CellSelector(method: o.method ?? method, budget: o.budget ?? budget, grid: o.grid ?? grid,
                     benchmark: o.benchmark ?? benchmark, counter: o.counter ?? counter, param: o.param ?? param)
    }
}

/// A reference line the tables add beside the measured methods: the untuned base model and the
/// benchmark's chance level (ReferenceLines).
public enum ReferenceLine: String, Sendable { case base, chance }

public struct LayoutColumn: Sendable {
    public let header: String
    public let selector: CellSelector
    /// AVG columns: the mean of these columns (by header), per seed, only when all are present.
    public let averageOf: [String]?
    public let reportedColumn: String?
    /// Set on the Base and chance columns ReferenceLines adds (layouts with benchmarks as rows).
    public var reference: ReferenceLine? = nil
}

public struct LayoutRow: Sendable {
    public let header: String
    public let selector: CellSelector
    /// Path of the reported row inside reported-numbers.yaml's table entry ("LLaMA2-7B/50/LoRA").
    public let reportedRow: String?
    /// Set on the Base and chance rows ReferenceLines adds (layouts with benchmarks as columns).
    public var reference: ReferenceLine? = nil
}

public struct TableLayout: Sendable {
    public let table: String
    public let spec: String
    public let title: String
    public let reportedModel: String?
    public var columns: [LayoutColumn]
    public var rows: [LayoutRow]

    public static let counters = ["optimizer_steps", "samples", "tokens", "wall_h"]

    public static func load(_ url: URL) throws -> TableLayout {
        let doc = try YAMLField.document(at: url)
        let top = try doc.mapping(required: ["table", "spec", "title", "columns", "rows"], optional: ["reported_model"])
        let selectorKeys = ["method", "budget", "grid", "benchmark", "counter", "param"]
        func selector(_ m: [String: YAMLField]) throws -> CellSelector {
            func s(_ k: String) throws -> String? {
                guard let f = m[k] else { return nil }
                if case .scalar(let sc) = f.node { return sc.string }
                throw f.error("expected a name")
            }
            if let b = m["benchmark"] { _ = try b.oneOf(Registry.benchmarks, what: "benchmark") }
            if let c = m["counter"] { _ = try c.oneOf(counters, what: "counter") }
            return CellSelector(method: try s("method"), budget: try s("budget"), grid: try s("grid"),
                                benchmark: try s("benchmark"), counter: try s("counter"), param: try s("param"))
        }
        let columns = try top["columns"]!.sequence().map { f -> LayoutColumn in
            let m = try f.mapping(required: ["header"], optional: selectorKeys + ["average_of", "reported_column"])
            return LayoutColumn(header: try m["header"]!.string(), selector: try selector(m),
                                averageOf: try m["average_of"]?.strings(), reportedColumn: try m["reported_column"]?.string())
        }
        let headers = Set(columns.map(\.header))
        for c in columns { for a in c.averageOf ?? [] where !headers.contains(a) {
            throw SpecError(file: url.path, line: 0, field: "columns.average_of", message: "no column '\(a)' to average in \(c.header)")
        } }
        let rows = try top["rows"]!.sequence().map { f -> LayoutRow in
            let m = try f.mapping(required: ["header"], optional: selectorKeys + ["reported_row"])
            return LayoutRow(header: try m["header"]!.string(), selector: try selector(m), reportedRow: try m["reported_row"]?.string())
        }
        return TableLayout(table: try top["table"]!.string(), spec: try top["spec"]!.string(), title: try top["title"]!.string(),
                           reportedModel: try top["reported_model"]?.string(), columns: columns, rows: rows)
    }
}

extension TableLayout {
    /// The layout with one column per benchmark a profile adds (the study profile's above-chance
    /// probes), after the paper's columns; the paper reports nothing for them.
    func addingColumns(for benchmarks: [BenchmarkSpec]) -> TableLayout {
        let present = Set(columns.compactMap(\.selector.benchmark))
        let added = benchmarks.filter { !present.contains($0.name) }.map { b in
            LayoutColumn(header: b.name + (b.subsets.map { "-" + $0.joined(separator: ",") } ?? ""),
                         selector: CellSelector(benchmark: b.name), averageOf: nil, reportedColumn: nil)
        }
        return TableLayout(table: table, spec: spec, title: title, reportedModel: reportedModel, columns: columns + added, rows: rows)
    }
}

/// reported-numbers.yaml: per table, `columns` and nested `rows` ending in value lists.
public struct ReportedNumbers {
    let root: [String: Any]

    public init(url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        guard let any = try YamsLoad.load(text) as? [String: Any] else {
            throw SpecError(file: url.path, line: 1, field: "", message: "expected a mapping of tables")
        }
        root = any
    }

    public func title(_ table: String) -> String? { (root[table] as? [String: Any])?["title"] as? String }

    /// The reported value for a row path and a column name, or nil.
    public func value(table: String, row: String, column: String) -> Double? {
        guard let t = root[table] as? [String: Any], let cols = t["columns"] as? [Any],
              let idx = cols.firstIndex(where: { "\($0)" == column }) else { return nil }
        var node: Any? = t["rows"]
        for part in row.split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        guard let list = node as? [Any], idx < list.count else { return nil }
        if let d = list[idx] as? Double { return d }
        if let i = list[idx] as? Int { return Double(i) }
        return nil
    }
}
