import Foundation

/// A value a hyper-parameter takes in a spec, on the command line or in a descriptor.
public enum HyperValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int)
    case number(Double)
    case string(String)
    case strings([String])
    case bool(Bool)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .number(let v): return HyperValue.format(v)
        case .string(let v): return v
        case .strings(let v): return "[" + v.joined(separator: ", ") + "]"
        case .bool(let v): return v ? "true" : "false"
        }
    }

    /// Shortest round-tripping text of a rate: 2e-04 reads as 0.0002, 5e-06 as 5e-06.
    public static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return String(format: "%.12g", v)
    }

    public var intValue: Int? {
        switch self {
        case .int(let v): return v
        case .number(let v): return v == v.rounded() && abs(v) < 1e15 ? Int(v) : nil
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .number(let v): return v
        default: return nil
        }
    }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
}

/// A value with where it comes from: the paper's section or the authors' released file and line.
public struct SourcedValue: Sendable, Equatable {
    public let value: String
    /// e.g. "paper §4.1.3" or "Clin0212/HydraLoRA HydraLoRA/build_dataset.sh:12".
    public let source: String
    public init(_ value: String, _ source: String) { self.value = value; self.source = source }
}

/// One hyper-parameter of a method: the single name used as spec key, CLI flag (`--max-seq-len`),
/// stored config key and — camelCased — the field of `TrainingHyperParameters` it sets.
public struct HyperParameter: Sendable {
    public enum ValueType: String, Sendable {
        case int, number, string, strings, bool
        /// An int, or in a spec a map from budget to int (appendix A.1.2's epochs per budget).
        case epochs
        /// An int, or the word `tasks` (one head per training task).
        case headCount
    }

    public let key: String
    public let type: ValueType
    /// The value a run uses when neither spec nor CLI sets it; nil = derived (stated in `help`).
    public let defaultValue: HyperValue?
    public let unit: String
    /// Inclusive lower bound (numbers and ints).
    public let minimum: Double?
    /// Upper bound (numbers and ints); `maximumExclusive` makes it strict.
    public let maximum: Double?
    public let maximumExclusive: Bool
    /// Allowed words (strings, strings lists).
    public let choices: [String]?
    /// What the MeTA-LoRA paper uses, with its section.
    public let paper: SourcedValue?
    /// What the method's authors ship, with the repository file and line.
    public let authors: SourcedValue?
    public let help: String
    /// CLI spellings that keep working for scripts; each prints what it maps to.
    public let legacyFlags: [String]

    public init(_ key: String, _ type: ValueType, default defaultValue: HyperValue?, unit: String = "",
                minimum: Double? = nil, maximum: Double? = nil, maximumExclusive: Bool = false, choices: [String]? = nil,
                paper: SourcedValue? = nil, authors: SourcedValue? = nil, help: String, legacyFlags: [String] = []) {
        self.key = key; self.type = type; self.defaultValue = defaultValue; self.unit = unit
        self.minimum = minimum; self.maximum = maximum; self.maximumExclusive = maximumExclusive; self.choices = choices
        self.paper = paper; self.authors = authors; self.help = help; self.legacyFlags = legacyFlags
    }

    /// The same parameter with another default and sources (a method's own values for a shared knob).
    public func with(default value: HyperValue?, paper: SourcedValue? = nil, authors: SourcedValue? = nil,
                     help: String? = nil) -> HyperParameter {
        HyperParameter(key, type, default: value, unit: unit, minimum: minimum, maximum: maximum,
                       maximumExclusive: maximumExclusive, choices: choices, paper: paper ?? self.paper,
                       authors: authors ?? self.authors, help: help ?? self.help, legacyFlags: legacyFlags)
    }

    /// The CLI flag: `--` + the key with dashes.
    public var flag: String { "--" + key.replacingOccurrences(of: "_", with: "-") }

    /// The field of `TrainingHyperParameters` this key sets: snake_case → camelCase.
    public var fieldName: String { HyperParameter.camelCase(key) }

    public static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_")
        guard let first = parts.first else { return key }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// Parses command-line text (`alpha=1e-4`, `--targets q,k,v,o`) into a value of this type.
    public func parse(_ text: String) throws -> HyperValue {
        func bad() -> TrainingError { .invalidHyperParameter("\(key): '\(text)' is not \(typeDescription)") }
        let value: HyperValue
        switch type {
        case .int, .epochs:
            guard let v = Int(text) else { throw bad() }
            value = .int(v)
        case .headCount:
            if text == "tasks" { value = .string("tasks") } else if let v = Int(text) { value = .int(v) } else { throw bad() }
        case .number:
            guard let v = Double(text) else { throw bad() }
            value = .number(v)
        case .string:
            value = .string(text)
        case .strings:
            value = .strings(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": value = .bool(true)
            case "false", "0", "no": value = .bool(false)
            default: throw bad()
            }
        }
        try check(value)
        return value
    }

    var typeDescription: String {
        switch type {
        case .int: return "an integer"
        case .epochs: return "an integer (epochs)"
        case .headCount: return "an integer or 'tasks'"
        case .number: return "a number"
        case .string: return "a word"
        case .strings: return "a comma-separated list"
        case .bool: return "true or false"
        }
    }

    /// Range and type checks from the schema (plan time, before any data or model is read).
    public func check(_ value: HyperValue) throws {
        func fail(_ why: String) throws { throw TrainingError.invalidHyperParameter("\(key) = \(value) \(why)") }
        switch (type, value) {
        case (.int, .int), (.epochs, .int), (.headCount, .int), (.number, .number), (.number, .int),
             (.string, .string), (.strings, .strings), (.bool, .bool):
            break
        case (.headCount, .string(let s)) where s == "tasks":
            return
        default:
            try fail("is not \(typeDescription)")
        }
        if let d = value.doubleValue {
            if !d.isFinite { try fail("is not finite") }
            if let lo = minimum, d < lo { try fail("is below the minimum \(HyperValue.format(lo))") }
            if let hi = maximum, maximumExclusive ? d >= hi : d > hi {
                try fail("must be \(maximumExclusive ? "below" : "at most") \(HyperValue.format(hi))")
            }
        }
        if let choices {
            let words: [String]
            switch value { case .string(let s): words = [s]; case .strings(let l): words = l; default: words = [] }
            for w in words where !choices.contains(w.lowercased()) && !choices.contains(w) {
                try fail("names '\(w)', not one of \(choices.joined(separator: ", "))")
            }
            if type == .strings, words.isEmpty { try fail("is empty") }
        }
    }

    /// The range and choices as text, e.g. " in [0, 1)" or " (one of constant, linear, cosine)"; empty when unbounded.
    public var rangeDescription: String {
        var parts: [String] = []
        switch (minimum, maximum) {
        case let (lo?, hi?): parts.append("in [\(HyperValue.format(lo)), \(HyperValue.format(hi))\(maximumExclusive ? ")" : "]")")
        case let (lo?, nil): parts.append("≥ \(HyperValue.format(lo))")
        case let (nil, hi?): parts.append("\(maximumExclusive ? "<" : "≤") \(HyperValue.format(hi))")
        case (nil, nil): break
        }
        if let choices { parts.append("one of \(choices.joined(separator: ", "))") }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")"
    }

    /// One line of `--help`: flag and key, type and range, default, paper and authors' values, help,
    /// and the old spellings that still work.
    public var helpLine: String {
        var kind = type.rawValue
        if !unit.isEmpty { kind += ", " + unit }
        let range = rangeDescription
        if !range.isEmpty { kind += "; " + String(range.dropFirst(2).dropLast()) }
        var s = "\(flag) / \(key) (\(kind)) default \(defaultValue?.description ?? "derived")"
        if let paper { s += "; paper \(paper.value) (\(paper.source))" }
        if let authors { s += "; authors \(authors.value) (\(authors.source))" }
        s += ": " + help
        if !legacyFlags.isEmpty { s += " (also \(legacyFlags.joined(separator: ", ")))" }
        return s
    }
}
