// `metalora table N [--format md|tex] [--diff] [--out DIR]`: render one table (or figure) from the store
// into tableN.md / tableN.tex (results/tables/, a scratch store's own tables/ folder, or --out),
// returning the text and the files written.
import Foundation
import Training

public enum Tables {
    public static let all = ["table1", "table2", "table3", "table4", "table5", "table6", "table7", "table8", "table9",
                             "table10", "table11", "table12", "table13", "figure2"]

    public struct Rendered { public let text: String; public let files: [URL] }

    /// Renders `name` ("2", "table2", "figure2") on `profile`. `formats` chooses the files written;
    /// the returned text is the first format's. Figure 2 also writes figure2.svg and figure2-pgfplots.tex.
    public static func render(_ name: String, paths: HarnessPaths, store: ResultsStore?, profile: Profile, model: String? = nil,
                              formats: [TableFormat] = [.markdown, .latex], diff: Bool = false, write: Bool = true,
                              outputDirectory: URL? = nil, methods: MethodCatalog = .standard) throws -> Rendered {
        let table = HarnessPaths.tableName(name)
        guard all.contains(table) else {
            throw SpecError(file: name, line: 0, field: "table", message: "unknown table; valid: \(all.joined(separator: ", "))")
        }
        let reported = try ReportedNumbers(url: paths.reportedNumbers)
        var outputs: [(String, String)] = []
        if table == "table3" {
            let rows = try Table3.compute(paths: paths, profile: profile, reported: reported)
            for f in formats { outputs.append(("table3.\(f.rawValue)", Table3.render(rows, profile: profile, format: f))) }
        } else {
            guard let store = store else { throw StoreError.sqlite(path: paths.store.path, detail: "no results store") }
            let modelPath = (model ?? profile.model).map { $0.hasPrefix("/") ? $0 : paths.root.appendingPathComponent($0).path }
            let layout = try TableLayout.load(paths.layout(table)).addingColumns(for: profile.benchmarks).reportedFor(model: modelPath)
            let spec = try ExperimentSpec.load(paths.spec(layout.spec), methods: methods)
            let data = try TableData.build(layout: layout, spec: spec, profile: profile, model: model, store: store, reported: reported)
            // With --diff, every method against MeTA-LoRA on the same items (PairedComparisons).
            // A table without benchmarks (Table 7's counters) has nothing to pair.
            let paired = diff && ReferenceLines.benchmarkAxis(layout) != .none ? try PairedComparisons.compute(data, spec: spec, store: store) : nil
            for f in formats {
                let text = f == .markdown ? TableRenderer.markdown(data, diff: diff) : TableRenderer.latex(data, diff: diff)
                let section = paired.map { f == .markdown ? PairedComparisonText.markdown($0) : PairedComparisonText.latex($0) } ?? ""
                let block = try DeviationBlock.text(spec: spec, profile: profile, model: model, format: f)
                outputs.append(("\(table).\(f.rawValue)", text + section + block))
            }
            if table == "figure2" {
                outputs.append(("figure2.svg", FigureRenderer.svg(data)))
                outputs.append(("figure2-pgfplots.tex", FigureRenderer.pgfplots(data)))
            }
        }
        var files: [URL] = []
        if write {
            let out = outputDirectory ?? paths.tablesOut
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            for (file, text) in outputs {
                let u = out.appendingPathComponent(file)
                try Data(text.utf8).write(to: u, options: .atomic)
                files.append(u)
            }
        }
        return Rendered(text: outputs.first?.1 ?? "", files: files)
    }
}
