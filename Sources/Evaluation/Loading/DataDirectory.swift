import Foundation

/// The data mirror root: an explicit path (`--data-dir`), else `$METALORA_DATA`, else `./data`
/// (the ignored link `make setup` creates).
public struct DataDirectory: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public static func resolve(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DataDirectory {
        let path = explicit ?? environment["METALORA_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        let url = URL(fileURLWithPath: path).standardizedFileURL
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw EvaluationError.dataDirectoryMissing(path: url.path)
        }
        return DataDirectory(url: url)
    }

    public func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// The UTF-8 text of a file under the root, with a clear error when missing or not UTF-8.
    public func readText(_ relative: String) throws -> String {
        try TextFile.read(file(relative))
    }
}

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
