import Foundation

/// Human-readable rendering of an `EvaluationReport`: settings, per-subset table, averages.
public enum ReportTable {
    public static func render(_ r: EvaluationReport) -> String {
        var out = ""
        let title = r.benchmark + (r.variant.map { " (\($0))" } ?? "")
        out += "\(title)  version \(r.version)\(r.partial ? "  [PARTIAL]" : "")\n"
        out += "model: \(r.backend)\n"
        let s = r.settings
        out += "split \(s.split), \(s.shots)-shot (\(s.fewShotSource)), scoring \(s.scoring), metric \(r.metric)"
        out += s.limit.map { ", limit \($0) per subset" } ?? ""
        out += "\n"
        out += "template: \(s.template)\n"
        let hasNorm = r.accNorm != nil
        let nameWidth = max(8, (r.subsetOrder.map(\.count).max() ?? 0))
        func pad(_ x: String, _ w: Int) -> String { x.count >= w ? x : x + String(repeating: " ", count: w - x.count) }
        func lpad(_ x: String, _ w: Int) -> String { x.count >= w ? x : String(repeating: " ", count: w - x.count) + x }
        func pct(_ v: Double) -> String { String(format: "%.2f", v * 100) }
        out += pad("subset", nameWidth) + lpad("n", 7) + lpad(r.metric, 13) + (hasNorm ? lpad("acc_norm", 10) : "") + "\n"
        for name in r.subsetOrder {
            guard let sc = r.subsets[name] else { continue }
            out += pad(name, nameWidth) + lpad("\(sc.n)", 7) + lpad(pct(sc.acc), 13)
            out += hasNorm ? lpad(sc.accNorm.map(pct) ?? "-", 10) : ""
            out += "\n"
        }
        out += pad("micro", nameWidth) + lpad("\(r.n)", 7) + lpad(pct(r.accMicro), 13) + (hasNorm ? lpad(r.accNormMicro.map(pct) ?? "-", 10) : "") + "   (mean over items)\n"
        out += pad("macro", nameWidth) + lpad("\(r.subsetOrder.count)", 7) + lpad(pct(r.accMacro), 13) + (hasNorm ? lpad(r.accNormMacro.map(pct) ?? "-", 10) : "") + "   (mean over subsets)\n"
        out += "\(r.metric) = \(pct(r.acc)) (\(s.aggregation): \(s.aggregationRationale))\n"
        for reason in r.partialReasons { out += "partial: \(reason)\n" }
        out += String(format: "elapsed %.1f s\n", r.elapsedSeconds)
        return out
    }
}
