import Foundation

/// A cell's loss curve as a standalone SVG: one line per training split (train, support, query,
/// search) over optimizer steps, and the held-out ("eval") loss as dots at its evaluation points.
///
/// Written by hand: Swift has no maintained plotting or SVG library (on Linux, without Apple's
/// Charts), and a line chart is a few dozen lines of markup.
public enum LossCurveSVG {
    static let width = 640.0, height = 400.0
    static let margin = (left: 64.0, right: 120.0, top: 36.0, bottom: 48.0)
    static let colours = ["train": "#1f77b4", "support": "#2ca02c", "query": "#1f77b4", "search": "#9467bd", "eval": "#d62728"]

    /// The SVG text; `title` goes above the plot. Non-finite losses are left out and counted in the caption.
    public static func render(_ points: [LossPoint], title: String) -> String {
        let finite = points.filter { $0.loss.isFinite }
        let dropped = points.count - finite.count
        let steps = finite.map { Double($0.step) }, losses = finite.map(\.loss)
        let x0 = steps.min() ?? 0, x1 = max(steps.max() ?? 1, x0 + 1)
        var y0 = losses.min() ?? 0, y1 = losses.max() ?? 1
        if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
        let pad = (y1 - y0) * 0.05
        y0 -= pad; y1 += pad
        let plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom
        func px(_ s: Double) -> Double { margin.left + (s - x0) / (x1 - x0) * plotW }
        func py(_ l: Double) -> Double { margin.top + (y1 - l) / (y1 - y0) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(margin.left))" y="20" font-size="13">\(escape(title))</text>

        """
        // Axes with five ticks each.
        svg += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        for i in 0...4 {
            let s = x0 + (x1 - x0) * Double(i) / 4, l = y0 + (y1 - y0) * Double(i) / 4
            svg += "<line x1=\"\(f(px(s)))\" y1=\"\(f(margin.top + plotH))\" x2=\"\(f(px(s)))\" y2=\"\(f(margin.top + plotH + 4))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(px(s)))\" y=\"\(f(margin.top + plotH + 16))\" text-anchor=\"middle\">\(tick(s))</text>\n"
            svg += "<line x1=\"\(f(margin.left - 4))\" y1=\"\(f(py(l)))\" x2=\"\(f(margin.left))\" y2=\"\(f(py(l)))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(py(l) + 4))\" text-anchor=\"end\">\(String(format: "%.3g", l))</text>\n"
        }
        svg += "<text x=\"\(f(margin.left + plotW / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">optimizer step</text>\n"
        svg += "<text x=\"14\" y=\"\(f(margin.top + plotH / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(margin.top + plotH / 2)))\">loss (nats/token)</text>\n"

        // Series in first-seen order; the held-out loss last so its dots sit on top.
        var splits: [String] = []
        for p in finite where !splits.contains(p.split) { splits.append(p.split) }
        splits.sort { ($0 == "eval" ? 1 : 0) < ($1 == "eval" ? 1 : 0) }
        for (i, split) in splits.enumerated() {
            let series = finite.filter { $0.split == split }.sorted { $0.step < $1.step }
            let colour = colours[split] ?? "#7f7f7f"
            let path = series.map { "\(f(px(Double($0.step)))),\(f(py($0.loss)))" }.joined(separator: " ")
            let dash = split == "eval" ? " stroke-dasharray=\"4 3\"" : ""
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dash) points=\"\(path)\"/>\n"
            if split == "eval" || series.count == 1 {
                for p in series { svg += "<circle cx=\"\(f(px(Double(p.step))))\" cy=\"\(f(py(p.loss)))\" r=\"3.5\" fill=\"\(colour)\"/>\n" }
            }
            let ly = margin.top + 12 + Double(i) * 16, lx = width - margin.right + 12
            svg += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 18))\" y2=\"\(f(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>"
            svg += "<text x=\"\(f(lx + 24))\" y=\"\(f(ly))\">\(escape(split == "eval" ? "held-out" : split))</text>\n"
        }
        if finite.isEmpty { svg += "<text x=\"\(f(margin.left + plotW / 2))\" y=\"\(f(margin.top + plotH / 2))\" text-anchor=\"middle\">no finite loss recorded</text>\n" }
        if dropped > 0 { svg += "<text x=\"\(f(width - margin.right + 12))\" y=\"\(f(height - 10))\">\(dropped) non-finite omitted</text>\n" }
        return svg + "</svg>\n"
    }

    /// Writes the SVG atomically.
    public static func write(_ points: [LossPoint], title: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(render(points, title: title).utf8).write(to: url, options: .atomic)
    }

    /// Writes `loss-curve.svg` into the cell's run folder and returns its path.
    public static func write(_ points: [LossPoint], cell: ResolvedCell, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent("loss-curve.svg")
        try write(points, title: "\(cell.spec) · \(cell.methodLabel) · \(cell.setting) · seed \(cell.seed)", to: url)
        return url.path
    }

    static func tick(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
