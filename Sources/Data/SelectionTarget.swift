import Foundation
import Engine

/// What a data selection (Table 13) ranks training examples against: the target texts, and
/// where they came from, so the run record can say exactly which texts a selection used.
public struct SelectionTarget: Sendable, Equatable {
    /// One named source of texts (e.g. a benchmark) and how many texts it contributed.
    public struct Source: Sendable, Equatable {
        public let name: String
        public let count: Int
        public init(name: String, count: Int) { self.name = name; self.count = count }
    }

    public let texts: [String]
    /// The sources in the order their texts appear in `texts`.
    public let sources: [Source]

    public init(texts: [String], sources: [Source]) {
        precondition(sources.reduce(0) { $0 + $1.count } == texts.count, "SelectionTarget: source counts must add up to the texts")
        self.texts = texts
        self.sources = sources
    }

    /// Texts from a single source.
    public init(name: String, texts: [String]) { self.init(texts: texts, sources: [Source(name: name, count: texts.count)]) }

    /// Fingerprint of the texts in order (unit separator between texts), for the run record:
    /// two runs with the same digest selected against the same target.
    public var sha256: String { SHA256.hex(of: texts.joined(separator: "\u{1F}")) }

    /// "bbh=6511,mmlu=14042".
    public var sourceSummary: String { sources.map { "\($0.name)=\($0.count)" }.joined(separator: ",") }
}
