// Strict reading of YAML documents through Yams' Node API, so that every error can name the
// file, line and field it concerns (Yams' Decodable path loses line numbers and ignores unknown keys).
import Foundation
import Yams

/// An error in a spec, profile or layout file: where it is and what is wrong.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let field: String
    public let message: String
    public var description: String { "\(file):\(line): \(field.isEmpty ? "" : "field '\(field)': ")\(message)" }
}

/// A YAML node together with where it came from and the dotted path of the field it fills.
public struct YAMLField {
    public let node: Node
    public let file: String
    public let path: String

    public var line: Int { node.mark?.line ?? 0 }

    public func error(_ message: String) -> SpecError { SpecError(file: file, line: line, field: path, message: message) }

    /// Parses a whole document; YAML syntax errors keep Yams' line number.
    public static func document(text: String, file: String) throws -> YAMLField {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpecError(file: file, line: 1, field: "", message: "the document is empty")
            }
            return YAMLField(node: node, file: file, path: "")
        } catch let e as SpecError { throw e
        } catch let e as YamlError {
            var line = 0
            if case .scanner(_, _, let mark, _) = e { line = mark.line }
            if case .parser(_, _, let mark, _) = e { line = mark.line }
            if case .composer(_, _, let mark, _) = e { line = mark.line }
            throw SpecError(file: file, line: line, field: "", message: "YAML syntax: \(e)")
        }
    }

    public static func document(at url: URL) throws -> YAMLField {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw SpecError(file: url.path, line: 0, field: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try document(text: text, file: url.path)
    }

    private func child(_ node: Node, _ key: String) -> YAMLField {
        YAMLField(node: node, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// The mapping's fields, after checking that no key is unknown and every required key is present.
    public func mapping(required: [String], optional: [String] = []) throws -> [String: YAMLField] {
        guard case .mapping(let m) = node else { throw error("expected a mapping, found \(kind)") }
        var out: [String: YAMLField] = [:]
        let allowed = Set(required + optional)
        for (k, v) in m {
            guard case .scalar(let ks) = k else { throw error("mapping keys must be plain names") }
            let key = ks.string
            guard allowed.contains(key) else {
                let f = child(v, key)
                throw SpecError(file: file, line: k.mark?.line ?? line, field: f.path,
                                message: "unknown key '\(key)'; allowed keys: \(allowed.sorted().joined(separator: ", "))")
            }
            out[key] = child(v, key)
        }
        for r in required where out[r] == nil {
            throw SpecError(file: file, line: line, field: path.isEmpty ? r : "\(path).\(r)", message: "missing required field")
        }
        return out
    }

    /// Mapping entries in document order, for maps whose keys are data (grids, overrides).
    public func entries() throws -> [(key: String, value: YAMLField, line: Int)] {
        guard case .mapping(let m) = node else { throw error("expected a mapping, found \(kind)") }
        return try m.map { k, v in
            guard case .scalar(let ks) = k else { throw error("mapping keys must be plain names") }
            return (ks.string, child(v, ks.string), k.mark?.line ?? line)
        }
    }

    public func sequence() throws -> [YAMLField] {
        guard case .sequence(let s) = node else { throw error("expected a list, found \(kind)") }
        return s.enumerated().map { i, n in YAMLField(node: n, file: file, path: "\(path)[\(i)]") }
    }

    private var plainScalar: String? {
        if case .scalar(let s) = node, s.style == .plain { return s.string }
        return nil
    }

    public var isNull: Bool { if let p = plainScalar { return p == "null" || p == "~" || p.isEmpty }; return false }

    public func string() throws -> String {
        guard case .scalar(let s) = node else { throw error("expected a string, found \(kind)") }
        if s.style == .plain, Double(s.string) != nil || ["true", "false", "null", "~"].contains(s.string) {
            throw error("expected a string, found '\(s.string)' (quote it if it is meant as text)")
        }
        return s.string
    }

    public func int() throws -> Int {
        guard let p = plainScalar, let v = Int(p.replacingOccurrences(of: "_", with: "")) else {
            throw error("expected an integer, found \(describe)")
        }
        return v
    }

    public func double() throws -> Double {
        guard let p = plainScalar, let v = Double(p.replacingOccurrences(of: "_", with: "")), v.isFinite else {
            throw error("expected a number, found \(describe)")
        }
        return v
    }

    public func bool() throws -> Bool {
        switch plainScalar { case "true": return true; case "false": return false
        default: throw error("expected true or false, found \(describe)") }
    }

    public func strings() throws -> [String] { try sequence().map { try $0.string() } }

    /// One of a fixed set of names; the error lists the valid ones.
    public func oneOf(_ valid: [String], what: String) throws -> String {
        let s = try string()
        guard valid.contains(s) else { throw error("unknown \(what) '\(s)'; valid \(what)s: \(valid.joined(separator: ", "))") }
        return s
    }

    /// A scalar as a JSON value (int, number, bool or string), for hyper-parameter values.
    public func scalarJSON() throws -> JSONValue {
        switch node {
        case .scalar(let s):
            if s.style == .plain {
                if let i = Int(s.string) { return .int(i) }
                if let d = Double(s.string), d.isFinite { return .double(d) }
                if s.string == "true" { return .bool(true) }
                if s.string == "false" { return .bool(false) }
            }
            return .string(s.string)
        case .sequence: return .array(try sequence().map { try $0.scalarJSON() })
        case .mapping:
            var o: [String: JSONValue] = [:]
            for e in try entries() { o[e.key] = try e.value.scalarJSON() }
            return .object(o)
        }
    }

    var kind: String {
        switch node { case .scalar: return "a scalar"; case .mapping: return "a mapping"; case .sequence: return "a list" }
    }
    var describe: String { if case .scalar(let s) = node { return "'\(s.string)'" }; return kind }
}
