// Figure 2 (§4.3 RQ2): grouped bars of -STA vs MeTA-LoRA per budget and benchmark, as SVG and as
// PGFPlots. A missing bar is drawn as a dashed outline labelled "—", never as a value. Error bars
// are ± the sample sd over seeds, or the standard error over items with one seed (the table's ±).
import Foundation

public enum FigureRenderer {
    struct Bar { let group: String; let series: String; let value: Double?; let error: Double? }

    /// Bars from the figure's table: one group per (budget, column), one series per method.
    static func bars(_ t: TableData) -> (groups: [String], series: [String], bars: [Bar]) {
        var groups: [String] = [], series: [String] = [], bars: [Bar] = []
        // The figure draws the methods; its table carries the Base and chance lines.
        for (i, r) in t.layout.rows.enumerated() where r.reference == nil {
            let s = r.selector.method ?? r.header
            if !series.contains(s) { series.append(s) }
            for (j, c) in t.layout.columns.enumerated() {
                let g = "\(r.selector.budget ?? "") \(c.header)".trimmingCharacters(in: .whitespaces)
                if !groups.contains(g) { groups.append(g) }
                let cell = t.cells[i][j]
                bars.append(Bar(group: g, series: s, value: cell.mean, error: cell.sd ?? cell.singleSeedStandardError))
            }
        }
        return (groups, series, bars)
    }

    public static func svg(_ t: TableData) -> String {
        let (groups, series, bars) = bars(t)
        let colors = ["#9ecae1", "#3182bd", "#fdae6b", "#e6550d"]
        let barW = 18.0, gap = 14.0, left = 50.0, top = 30.0, plotH = 220.0
        let groupW = Double(series.count) * barW + gap
        let title = "\(TableRenderer.tableTitle(t.layout.table)): \(t.layout.title)"
        // Wide enough for the title (≈ 6.5 px per 12-px character) and for every group.
        let width = max(left + Double(groups.count) * groupW + 20, left + Double(title.count) * 6.5 + 20), height = top + plotH + 120
        let maxV = max(10, (bars.compactMap { b in b.value.map { $0 + (b.error ?? 0) } }.max() ?? 50) * 1.1)
        func y(_ v: Double) -> Double { top + plotH - v / maxV * plotH }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"10\">\n"
        s += "<title>\(xml(t.layout.title))</title>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(width - 10)\" y2=\"\(top + plotH)\" stroke=\"black\"/>\n"
        for k in 0...4 {
            let v = maxV * Double(k) / 4
            s += "<text x=\"\(left - 4)\" y=\"\(y(v) + 3)\" text-anchor=\"end\">\(String(format: "%.0f", v))</text>\n"
        }
        for (gi, g) in groups.enumerated() {
            let gx = left + gap / 2 + Double(gi) * groupW
            for (si, se) in series.enumerated() {
                let x = gx + Double(si) * barW
                if let v = bars.first(where: { $0.group == g && $0.series == se })?.value {
                    let bar = bars.first(where: { $0.group == g && $0.series == se })!
                    let errText = bar.error.map { String(format: " ± %.2f", $0) } ?? ""
                    s += "<rect x=\"\(x)\" y=\"\(y(v))\" width=\"\(barW - 2)\" height=\"\(top + plotH - y(v))\" fill=\"\(colors[si % colors.count])\"><title>\(xml(se)) \(xml(g)): \(String(format: "%.2f", v))\(errText)</title></rect>\n"
                    if let e = bar.error, e > 0 {
                        let cx = x + (barW - 2) / 2, lo = y(max(0, v - e)), hi = y(v + e)
                        s += "<path class=\"error-bar\" d=\"M\(cx),\(lo) V\(hi) M\(cx - 3),\(lo) H\(cx + 3) M\(cx - 3),\(hi) H\(cx + 3)\" stroke=\"black\" fill=\"none\"/>\n"
                    }
                } else {
                    s += "<rect x=\"\(x)\" y=\"\(top + plotH - 20)\" width=\"\(barW - 2)\" height=\"20\" fill=\"none\" stroke=\"gray\" stroke-dasharray=\"3,2\"/><text x=\"\(x + barW / 2 - 1)\" y=\"\(top + plotH - 24)\" text-anchor=\"middle\" fill=\"gray\">—</text>\n"
                }
            }
            // Group labels slanted so long "budget benchmark" names do not overlap.
            let lx = gx + Double(series.count) * barW / 2, ly = top + plotH + 12
            s += "<text x=\"\(lx)\" y=\"\(ly)\" text-anchor=\"end\" transform=\"rotate(-35 \(lx) \(ly))\">\(xml(g))</text>\n"
        }
        for (si, se) in series.enumerated() {
            let lx = left + Double(si) * 110
            s += "<rect x=\"\(lx)\" y=\"\(top + plotH + 60)\" width=\"10\" height=\"10\" fill=\"\(colors[si % colors.count])\"/><text x=\"\(lx + 14)\" y=\"\(top + plotH + 69)\">\(xml(se))</text>\n"
        }
        s += "<text x=\"\(left)\" y=\"\(top + plotH + 90)\" fill=\"#444\">profile \(xml(t.profile)), model \(xml(t.model)); dashed = missing; error bars ± sd over seeds (SE over items with 1 seed)</text>\n"
        s += "<text x=\"\(left)\" y=\"16\" font-size=\"12\">\(xml(title))</text>\n"
        return s + "</svg>\n"
    }

    public static func pgfplots(_ t: TableData) -> String {
        let (groups, series, bars) = bars(t)
        func key(_ g: String) -> String { g.replacingOccurrences(of: " ", with: "-") }
        var s = "% Generated by metalora table figure2; needs \\usepackage{pgfplots}. Missing bars are omitted.\n"
        s += "\\begin{figure}[t]\n\\centering\n\\begin{tikzpicture}\n\\begin{axis}[ybar, bar width=6pt, ymin=0, ylabel={Accuracy (\\%)},\n"
        s += "  every axis plot/.append style={error bars/.cd, y dir=both, y explicit},\n"
        s += "  symbolic x coords={\(groups.map(key).joined(separator: ","))}, xtick=data, x tick label style={rotate=45, anchor=east},\n"
        s += "  legend style={at={(0.5,1.05)}, anchor=south, legend columns=-1}]\n"
        for se in series {
            let coords = groups.compactMap { g -> String? in
                guard let b = bars.first(where: { $0.group == g && $0.series == se }), let v = b.value else { return nil }
                return "(\(key(g)),\(String(format: "%.2f", v)))" + (b.error.map { " +- (0,\(String(format: "%.2f", $0)))" } ?? "")
            }
            s += "\\addplot coordinates {\(coords.joined(separator: " "))};\n"
        }
        s += "\\legend{\(series.map(TableRenderer.latexEscape).joined(separator: ","))}\n"
        s += "\\end{axis}\n\\end{tikzpicture}\n\\caption{\(TableRenderer.latexEscape(t.caption))}\n\\label{fig:sta-ablation}\n\\end{figure}\n"
        return s
    }

    static func xml(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
