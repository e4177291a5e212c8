import Foundation
import Models

/// Which of the paper's model rows a run's numbers stand beside: LLaMA-2-13B's shape (40 layers of
/// width 5120) reads the paper's 13B rows, anything else its 7B rows (the layouts' default).
enum ReportedModelSize {
    static let sevenB = "LLaMA2-7B", thirteenB = "LLaMA2-13B"

    /// The paper's model name for the model at `path` (a GGUF file or a Hugging Face folder), nil
    /// when its shape matches neither or it cannot be read (the layout's default then applies).
    static func paperModel(forModelAt path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let config: LlamaConfig?
        if isDirectory.boolValue {
            config = try? LlamaConfig(huggingFaceConfig: url.appendingPathComponent("config.json"))
        } else {
            config = (try? GGUFFile(url: url)).flatMap { try? LlamaConfig(gguf: $0) }
        }
        guard let c = config else { return nil }
        switch (c.layerCount, c.hiddenSize) {
        case (40, 5120): return thirteenB
        case (32, 4096): return sevenB
        default: return nil
        }
    }
}

extension TableLayout {
    /// The layout with its reported rows and model read from the paper's 13B rows instead of its 7B
    /// ones, when the measured model is 13B; unchanged otherwise.
    func reportedFor(model path: String?) -> TableLayout {
        guard let path, ReportedModelSize.paperModel(forModelAt: path) == ReportedModelSize.thirteenB,
              reportedModel == ReportedModelSize.sevenB else { return self }
        let rows = self.rows.map { r in
            LayoutRow(header: r.header, selector: r.selector,
                      reportedRow: r.reportedRow.map { $0.replacingOccurrences(of: ReportedModelSize.sevenB, with: ReportedModelSize.thirteenB) })
        }
        return TableLayout(table: table, spec: spec, title: title, reportedModel: ReportedModelSize.thirteenB, columns: columns, rows: rows)
    }
}
