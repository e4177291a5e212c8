import Foundation

/// One JSON object from a data file with typed, error-reporting field access: every failure
/// names the file, the line (or JSON path) and the field.
struct DocumentRow {
    let object: [String: Any]
    let file: String
    let location: String
    /// The JSON Lines line this object came from (0 for whole-document JSON).
    let line: Int
    /// The line's text (empty for objects inside a document), for the ordered `doc`.
    var text: Substring = ""

    init(object: [String: Any], file: String, location: String, line: Int = 0) {
        self.object = object; self.file = file; self.location = location; self.line = line
    }

    /// Parses one JSON Lines line.
    init(line: Substring, number: Int, file: String) throws {
        let location = "line \(number)"
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) } catch {
            throw EvaluationError.malformedRow(file: file, location: location, field: nil, reason: "not valid JSON")
        }
        guard let obj = parsed as? [String: Any] else {
            throw EvaluationError.malformedRow(file: file, location: location, field: nil, reason: "expected a JSON object")
        }
        self.init(object: obj, file: file, location: location, line: number)
        text = line
    }

    /// The line as an ordered JSON object: the `doc` of lm-eval's per-sample log.
    func doc() throws -> PythonJSON {
        do { return try PythonJSON.parse(String(text)) } catch {
            throw EvaluationError.malformedRow(file: file, location: location, field: nil, reason: "\(error)")
        }
    }

    func fail(_ field: String, _ reason: String) -> EvaluationError {
        .malformedRow(file: file, location: location, field: field, reason: reason)
    }

    func string(_ key: String) throws -> String {
        guard let v = object[key] else { throw fail(key, "missing") }
        guard let s = v as? String else { throw fail(key, "expected a string, found \(type(of: v))") }
        return s
    }

    func int(_ key: String) throws -> Int {
        guard let v = object[key] else { throw fail(key, "missing") }
        if let n = v as? Int { return n }
        if let s = v as? String, let n = Int(s) { return n }
        throw fail(key, "expected an integer, found \(v)")
    }

    func row(_ key: String) throws -> DocumentRow {
        guard let v = object[key] else { throw fail(key, "missing") }
        guard let o = v as? [String: Any] else { throw fail(key, "expected an object") }
        return DocumentRow(object: o, file: file, location: "\(location), \(key)", line: line)
    }

    func rows(_ key: String) throws -> [DocumentRow] {
        guard let v = object[key] else { throw fail(key, "missing") }
        guard let a = v as? [Any] else { throw fail(key, "expected an array") }
        return try a.enumerated().map { i, e in
            guard let o = e as? [String: Any] else { throw fail("\(key)[\(i)]", "expected an object") }
            return DocumentRow(object: o, file: file, location: "\(location), \(key)[\(i)]", line: line)
        }
    }

    /// JSON Lines: one object per non-empty line.
    static func lines(of text: String, file: String) throws -> [DocumentRow] {
        try TextFile.lines(text).compactMap { number, line in
            line.allSatisfy(\.isWhitespace) ? nil : try DocumentRow(line: line, number: number, file: file)
        }
    }
}
