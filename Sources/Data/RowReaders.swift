import Foundation

/// A JSON object read from a mirror file, with the file and line it came from so that a bad
/// field can be reported precisely.
public struct JSONRow {
    public let file: String
    public let line: Int
    /// 1-based index over the file's records (the row number used in example ids).
    public let row: Int
    public let object: [String: Any]

    public func string(_ key: String) throws -> String {
        if let s = object[key] as? String { return s }
        if let n = object[key] as? NSNumber { return n.stringValue }
        throw DataError.malformedRow(file: file, line: line, reason: "field '\(key)' missing or not a string")
    }

    public func int(_ key: String) throws -> Int {
        if let n = object[key] as? Int { return n }
        if let s = object[key] as? String, let n = Int(s.trimmingCharacters(in: .whitespaces)) { return n }
        throw DataError.malformedRow(file: file, line: line, reason: "field '\(key)' missing or not an integer")
    }

    public func strings(_ key: String) throws -> [String] {
        if let a = object[key] as? [String] { return a }
        throw DataError.malformedRow(file: file, line: line, reason: "field '\(key)' missing or not a list of strings")
    }

    public func fail(_ reason: String) -> DataError { .malformedRow(file: file, line: line, reason: reason) }
}

/// A delimited (CSV/TSV) record with its header-keyed fields.
public struct TableRow {
    public let file: String
    public let line: Int
    public let row: Int
    public let fields: [String]
    public let header: [String]

    public func field(_ name: String) throws -> String {
        guard let i = header.firstIndex(of: name) else {
            throw DataError.malformedRow(file: file, line: line, reason: "column '\(name)' not in header \(header)")
        }
        return try field(i)
    }

    public func field(_ index: Int) throws -> String {
        guard index < fields.count else {
            throw DataError.malformedRow(file: file, line: line, reason: "expected at least \(index + 1) columns, found \(fields.count)")
        }
        return fields[index]
    }

    public func fail(_ reason: String) -> DataError { .malformedRow(file: file, line: line, reason: reason) }
}

/// Readers for the file layouts of the mirror. They parse only; task loaders decide meaning.
public enum RowReader {
    /// Physical lines without their terminators; a trailing empty line is dropped.
    public static func lines(_ dir: DataDirectory, _ file: String) throws -> [String] {
        var lines = splitLines(try dir.text(file))
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// One JSON object per non-empty line.
    public static func jsonl(_ dir: DataDirectory, _ file: String) throws -> [JSONRow] {
        var rows: [JSONRow] = []
        for (i, line) in try lines(dir, file).enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let data = line.data(using: .utf8),
                  let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw DataError.malformedRow(file: file, line: i + 1, reason: "not a JSON object")
            }
            rows.append(JSONRow(file: file, line: i + 1, row: rows.count + 1, object: object))
        }
        return rows
    }

    /// A top-level JSON value (array or object).
    public static func json(_ dir: DataDirectory, _ file: String) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: dir.contents(file)) }
        catch let e as DataError { throw e }
        catch { throw DataError.malformedRow(file: file, line: 0, reason: "invalid JSON: \(error.localizedDescription)") }
    }

    /// The `{"0": {...}, "1": {...}}` layout (PowerfulPromptFT's GLUE JSON), in numeric key order.
    /// The row number is the key + 1; the line is unknown in this layout, so it is reported as 0.
    public static func numberedObjects(_ dir: DataDirectory, _ file: String) throws -> [JSONRow] {
        guard let top = try json(dir, file) as? [String: Any] else {
            throw DataError.malformedRow(file: file, line: 1, reason: "expected a JSON object keyed by row number")
        }
        var rows: [JSONRow] = []
        for key in top.keys.sorted(by: { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }) {
            guard let index = Int(key), let object = top[key] as? [String: Any] else {
                throw DataError.malformedRow(file: file, line: 0, reason: "record '\(key)' is not a numbered JSON object")
            }
            rows.append(JSONRow(file: file, line: 0, row: index + 1, object: object))
        }
        return rows
    }

    /// CSV (RFC 4180 quoting, quoted fields may span lines) or TSV (no quoting: GLUE TSVs keep
    /// literal quote characters in sentences). `header: false` numbers the columns "0", "1", ….
    public static func table(_ dir: DataDirectory, _ file: String, separator: Character, header: Bool = true) throws -> [TableRow] {
        let text = try dir.text(file)
        let records: [(line: Int, fields: [String])] = separator == "\t"
            ? splitTSV(text) : try splitCSV(text, file: file)
        guard !records.isEmpty else { return [] }
        let names = header ? records[0].fields : (0..<(records.map { $0.fields.count }.max() ?? 0)).map(String.init)
        var rows: [TableRow] = []
        for record in records.dropFirst(header ? 1 : 0) {
            rows.append(TableRow(file: file, line: record.line, row: rows.count + 1, fields: record.fields, header: names))
        }
        return rows
    }

    /// Splits on LF bytes: `String.split` on Character would treat a CRLF pair as one
    /// grapheme and never split CRLF files (and is slow). A trailing CR is dropped from each line.
    static func splitLines(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var lines: [String] = []
        var start = 0
        func emit(_ end: Int) {
            let stop = end > start && bytes[end - 1] == 13 ? end - 1 : end
            lines.append(String(decoding: bytes[start..<stop], as: UTF8.self))
        }
        for i in bytes.indices where bytes[i] == 10 {
            emit(i)
            start = i + 1
        }
        emit(bytes.count)
        return lines
    }

    static func splitTSV(_ text: String) -> [(line: Int, fields: [String])] {
        var out: [(Int, [String])] = []
        for (i, line) in splitLines(text).enumerated() {
            if line.isEmpty { continue }
            out.append((i + 1, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        return out
    }

    static func splitCSV(_ text: String, file: String) throws -> [(line: Int, fields: [String])] {
        try CSVReader.parse(text, file: file).map { ($0.line, $0.fields) }
    }
}
