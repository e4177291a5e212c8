import Foundation

/// Text files the evaluator reads outside the data mirror (definitions, the benchmark list), and
/// line splitting for its text formats.
enum TextFile {
    static func read(_ url: URL) throws -> String {
        guard FileManager.default.fileExists(atPath: url.path) else { throw EvaluationError.missingFile(path: url.path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EvaluationError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EvaluationError.unreadableFile(path: url.path, reason: "not valid UTF-8")
        }
        return text
    }

    /// Lines split on "\n" (a trailing "\r" is removed), numbered from 1.
    static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        var out: [(Int, Substring)] = []
        var n = 0
        // Split on the "\n" scalar: as a Character, "\r\n" is one grapheme and would not match.
        for raw in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            var line = Substring(raw)
            if line.unicodeScalars.last == "\r" { line = Substring(line.unicodeScalars.dropLast()) }
            out.append((n, line))
        }
        if let last = out.last, last.1.isEmpty { out.removeLast() }
        return out
    }
}
