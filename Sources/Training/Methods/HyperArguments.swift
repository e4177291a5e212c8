import Foundation

/// Hyper-parameters given on a command line, one name per knob: `--max-seq-len 128`,
/// `--max-seq-len=128` and `max_seq_len=128` all set the key `max_seq_len`. The spellings come
/// from the descriptors (`HyperParameter.key` and `.flag`), never from a hand-kept list; the old
/// spellings (`HyperParameter.legacyFlags`, e.g. `--max-length`) keep working and say what they map to.
public enum HyperArguments {
    /// One `key=value` or `--flag value` as typed, before it is checked against a method.
    public struct Assignment: Equatable, Sendable {
        /// The spelling as typed, e.g. `--max-length`, `max_seq_len` or `--lr`.
        public let spelling: String
        /// The key it names with dashes read as underscores (`--max-length` → `max_length`).
        public let name: String
        /// The value text; nil for a flag given without one (a bool key's `--flag`).
        public let text: String?
        /// True for the `--flag` forms (legacy spellings are flags only).
        public let isFlag: Bool
    }

    /// The arguments split into positional words (a `SPEC.yaml:ENTRY`) and assignments, in order.
    /// `--key value` takes the next word as its value unless that word is itself a flag.
    public static func split(_ tokens: [String]) throws -> (positionals: [String], assignments: [Assignment]) {
        var positionals: [String] = [], assignments: [Assignment] = []
        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            if t.hasPrefix("--"), t.count > 2 {
                let body = t.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    let flag = "--" + body[..<eq]
                    assignments.append(Assignment(spelling: flag, name: normalized(String(body[..<eq])),
                                                  text: String(body[body.index(after: eq)...]), isFlag: true))
                } else if i + 1 < tokens.count, !tokens[i + 1].hasPrefix("--") {
                    assignments.append(Assignment(spelling: t, name: normalized(String(body)), text: tokens[i + 1], isFlag: true))
                    i += 1
                } else {
                    assignments.append(Assignment(spelling: t, name: normalized(String(body)), text: nil, isFlag: true))
                }
            } else if t.hasPrefix("-"), t.count > 1, Double(t) == nil {
                throw HyperArgumentError("unknown option '\(t)'; hyper-parameters are given as --key value, --key=value or key=value")
            } else if let eq = t.firstIndex(of: "="), eq != t.startIndex {
                let key = String(t[..<eq])
                assignments.append(Assignment(spelling: key, name: normalized(key), text: String(t[t.index(after: eq)...]), isFlag: false))
            } else {
                positionals.append(t)
            }
            i += 1
        }
        return (positionals, assignments)
    }

    static func normalized(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "_") }

    /// Every legacy flag of the catalog with the key it maps to (`--max-length` → `max_seq_len`).
    public static func legacyFlags(_ catalog: MethodCatalog = .standard) -> [(flag: String, key: String)] {
        var seen = Set<String>(), out: [(String, String)] = []
        for d in catalog.descriptors {
            for p in d.hyperParameters {
                for f in p.legacyFlags where seen.insert(f).inserted { out.append((f, p.key)) }
            }
        }
        return out
    }

    /// The note a legacy spelling prints once: `note: --max-length is max_seq_len (--max-seq-len)`.
    public static func legacyNote(_ flag: String, key: String) -> String {
        "note: \(flag) is \(key) (--\(key.replacingOccurrences(of: "_", with: "-")))"
    }

    /// The assignments as `descriptor`'s values, typed and range-checked by its schema, with the
    /// notes for legacy spellings. A key of another method is an error naming this one; an
    /// unknown name is an error listing the method's keys; a key given twice is an error.
    public static func values(_ assignments: [Assignment], for descriptor: MethodDescriptor,
                              catalog: MethodCatalog = .standard) throws -> (values: [String: HyperValue], notes: [String]) {
        let legacy = Dictionary(legacyFlags(catalog).map { ($0.flag, $0.key) }, uniquingKeysWith: { a, _ in a })
        let known = Set(catalog.allParameters.map(\.key))
        var values: [String: HyperValue] = [:], spelledAs: [String: String] = [:], notes: [String] = []
        let keys = descriptor.hyperParameters.map(\.key).joined(separator: ", ")
        for a in assignments {
            var key = a.name
            if a.isFlag, let mapped = legacy[a.spelling] {
                key = mapped
                let note = legacyNote(a.spelling, key: mapped)
                if !notes.contains(note) { notes.append(note) }
            }
            guard let p = descriptor.parameter(key) else {
                if known.contains(key) {
                    throw HyperArgumentError("\(descriptor.name) has no hyper-parameter \(key) (\(a.spelling)); its keys: \(keys)")
                }
                throw HyperArgumentError("unknown hyper-parameter '\(a.spelling)'; \(descriptor.name)'s keys: \(keys)")
            }
            if let earlier = spelledAs[key] {
                throw HyperArgumentError("\(key) is given twice (\(earlier) and \(a.spelling))")
            }
            spelledAs[key] = a.spelling
            guard let text = a.text else {
                guard p.type == .bool else { throw HyperArgumentError("\(a.spelling) needs a value: \(p.key) is \(p.typeDescription)\(p.rangeDescription)") }
                values[key] = .bool(true)
                continue
            }
            values[key] = try parse(text, for: p, spelling: a.spelling)
        }
        return (values, notes)
    }

    /// One value typed and range-checked by its parameter; the error names the spelling, the
    /// key and what it takes: `--lr '-1': lr = -1 is below the minimum 1e-30; lr takes a number (≥ 1e-30)`.
    public static func parse(_ text: String, for p: HyperParameter, spelling: String) throws -> HyperValue {
        do { return try p.parse(text) } catch {
            let why: String
            if case .invalidHyperParameter(let message)? = error as? TrainingError { why = message } else { why = "\(error)" }
            throw HyperArgumentError("\(spelling) '\(text)': \(why); \(p.key) takes \(p.typeDescription)\(p.rangeDescription)")
        }
    }

    /// `metalora train --help`'s schema: every method's keys with type, range, default, paper and
    /// authors' values, help, and the legacy spellings that still work.
    public static func helpText(_ catalog: MethodCatalog = .standard) -> String {
        var lines = ["HYPER-PARAMETERS:",
                     "Each knob has one name: the spec key, the stored config key and the flag are the same word "
                         + "(max_seq_len = --max-seq-len). Give them as --key value, --key=value or key=value; a method takes "
                         + "only its own keys.", ""]
        for d in catalog.descriptors {
            lines.append("\(d.name): \(d.summary) [\(d.paperReference)]")
            for p in d.hyperParameters { lines.append("  " + p.helpLine) }
            lines.append("")
        }
        let legacy = legacyFlags(catalog)
        if !legacy.isEmpty {
            lines.append("Old spellings that still work (each prints what it maps to): "
                         + legacy.map { "\($0.flag) → \($0.key)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

public struct HyperArgumentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
