// The "Protocol and deviations" block under every table, and `metalora deviations SPEC --profile P`:
// generated from the resolved plan the runs use — each method's resolved values against the
// paper's and its authors' (descriptors), the profile's overrides, the data the mirror lacks,
// the benchmark variants and the models not given. Nothing in it is written per table.
import Foundation
import Training

public enum DeviationBlock {
    /// The block's items, one sentence each.
    public static func items(spec: ExperimentSpec, cells: [ResolvedCell]) -> [String] {
        var out: [String] = []
        if let first = cells.first {
            out.append("Model: \(first.model); the paper uses LLaMA2-7B and LLaMA2-13B. Rows of a model size not given are not run.")
        }
        if let setting = Registry.setting(spec.setting) {
            let mirror = setting.mirrorPool.map { String($0) } ?? "not counted"
            out.append("Data (\(setting.paperName)): full data on the mirror \(mirror) examples vs the paper's \(setting.paperFullSamples); \(setting.note).")
        }
        let specKeys = Set(spec.benchmarks.map(\.key))
        for b in cells.first?.benchmarks ?? spec.benchmarks {
            let added = specKeys.contains(b.key) ? "" : " Added by profile \(cells[0].profile), not a benchmark of this table in the paper."
            let scope = (b.subsets.map { ", subsets \($0.joined(separator: ", "))" } ?? "") + (b.limit.map { ", first \($0) items per subset" } ?? "")
            out.append("Benchmark \(b.name)\(b.variant.map { " (variant \($0))" } ?? ""), \(b.shots)-shot\(scope).\(added)")
        }
        if let h = cells.first?.heldOutPerTask {
            out.append("Held-out draw: \(h) examples per training task (default 32), outside every budget and full-data pool; five-task-heldout scores them.")
        }
        let overrides = Array(Set(cells.flatMap(\.overrides))).sorted()
        if !overrides.isEmpty { out.append("Profile \(cells[0].profile) overrides: " + overrides.joined(separator: "; ") + ".") }
        var seen = Set<String>()
        for cell in cells where seen.insert(cell.methodLabel).inserted {
            out += methodItems(cell)
        }
        return out
    }

    /// A cell's resolved values that differ from the paper's or the authors', and its declarations.
    static func methodItems(_ cell: ResolvedCell) -> [String] {
        var out: [String] = []
        for p in cell.descriptor.hyperParameters {
            let ours = resolvedText(cell, p)
            var differences: [String] = []
            if let paper = p.paper, !same(ours, paper.value) { differences.append("paper \(paper.value) (\(paper.source))") }
            if let authors = p.authors, !same(ours, authors.value) { differences.append("authors \(authors.value) (\(authors.source))") }
            if !differences.isEmpty {
                out.append("\(cell.methodLabel) \(p.key) = \(ours); " + differences.joined(separator: "; ") + ".")
            }
        }
        for d in cell.descriptor.declarations {
            out.append("\(cell.methodLabel): \(d.topic): \(d.ours)" + (d.reference.map { " (reference: \($0.value), \($0.source))" } ?? "")
                       + " — \(d.reason).")
        }
        return out
    }

    static func resolvedText(_ cell: ResolvedCell, _ p: HyperParameter) -> String {
        if let v = cell.resolved.value(p.key) { return v.description }
        if p.type == .headCount { return "tasks (\(cell.tasks.count))" }
        return "default"
    }

    /// Values agree when their first words are equal, numerically or as text.
    static func same(_ a: String, _ b: String) -> Bool {
        func head(_ s: String) -> String {
            String(s.split(whereSeparator: { $0 == " " || $0 == "(" }).first ?? "").lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ",;"))
        }
        let x = head(a), y = head(b)
        if let dx = Double(x), let dy = Double(y) { return dx == dy }
        if a.lowercased().hasPrefix("tasks"), b.lowercased().hasPrefix("tasks") { return true }
        if a.hasPrefix("["), b.contains(",") {
            let norm: (String) -> Set<String> = { s in
                Set(s.lowercased().replacingOccurrences(of: "_proj", with: "").components(separatedBy: CharacterSet(charactersIn: "[], ")).filter { !$0.isEmpty })
            }
            return norm(a) == norm(b)
        }
        return x == y
    }

    public static func render(_ items: [String], format: TableFormat) -> String {
        switch format {
        case .markdown:
            return "\n**Protocol and deviations**\n\n" + items.map { "- " + $0 }.joined(separator: "\n") + "\n"
        case .latex:
            return "\n% Protocol and deviations (generated from the resolved plan)\n\\paragraph{Protocol and deviations}\n\\begin{itemize}\n"
                + items.map { "\\item " + TableRenderer.latexEscape($0) }.joined(separator: "\n") + "\n\\end{itemize}\n"
        }
    }

    /// The block for a spec on a profile, planned as the runs are.
    public static func text(spec: ExperimentSpec, profile: Profile, model: String?, format: TableFormat) throws -> String {
        render(items(spec: spec, cells: try Planner.plan(spec, profile: profile, model: model)), format: format)
    }
}
