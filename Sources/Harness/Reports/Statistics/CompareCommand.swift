// `metalora compare SPEC_OR_TABLE [--db D] [--profile P] [--model M]`: the paired comparisons of a
// table's methods with MeTA-LoRA (PairedComparisons), read from the store; runs nothing.
import Foundation

public enum CompareCommand {
    /// The report's text, and false when a comparison was refused (missing cells, different items).
    public static func run(_ specOrTable: String, profile: String, model: String? = nil, profiles: String? = nil, db: String? = nil,
                           paths: HarnessPaths = .current) throws -> (text: String, report: PairedComparisonReport, ok: Bool) {
        let p = try Profile.named(profile, in: profiles.map(paths.resolve) ?? paths.profiles)
        let (layout, spec) = try resolve(specOrTable, paths: paths)
        let store = try ResultsStore(path: db.map { paths.resolve($0).path } ?? paths.store.path, mustExist: true)
        let reported = try ReportedNumbers(url: paths.reportedNumbers)
        let data = try TableData.build(layout: layout, spec: spec, profile: p, model: model, store: store, reported: reported)
        let report = try PairedComparisons.compute(data, spec: spec, store: store)
        return (PairedComparisonText.text(report), report, report.refusals.isEmpty)
    }

    /// A spec file (…/x.yaml) with its table's layout, or a table name ("2", "table2") with the layout's spec.
    static func resolve(_ arg: String, paths: HarnessPaths) throws -> (TableLayout, ExperimentSpec) {
        if arg.hasSuffix(".yaml") || arg.contains("/") {
            let spec = try ExperimentSpec.load(paths.resolve(arg))
            let url = paths.layout(spec.table)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw SpecError(file: arg, line: 0, field: "table", message: "no layout \(url.path) for table \(spec.table)")
            }
            return (try TableLayout.load(url), spec)
        }
        let table = HarnessPaths.tableName(arg)
        if table == "table3" { throw SpecError(file: arg, line: 0, field: "table", message: "table3 is computed from the specs' budgets, not measured: nothing to compare") }
        guard Tables.all.contains(table) else {
            throw SpecError(file: arg, line: 0, field: "table", message: "unknown table; give a spec file or one of \(Tables.all.joined(separator: ", "))")
        }
        let layout = try TableLayout.load(paths.layout(table))
        return (layout, try ExperimentSpec.load(paths.spec(layout.spec)))
    }
}
