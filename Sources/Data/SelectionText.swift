import Foundation

/// The text view of examples used by the data-selection baselines (appendix A.4).
enum SelectionText {
    /// What is scored for an example: its input and target. The instruction is left out: it is
    /// the same for every example of a task and would only add a constant.
    static func document(_ example: TrainingExample) -> String { example.input + "\n" + example.output }

    /// Simple lower-case word tokenisation: maximal runs of letters or digits.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars {
            if isWordScalar(scalar) { current.append(scalar) }
            else if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// Letters and digits (`CharacterSet.alphanumerics`), with ASCII decided without the set
    /// lookup: the selection scans every candidate of every pool, and most text is ASCII.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A)
        }
        return CharacterSet.alphanumerics.contains(scalar)
    }

    /// Indices of the `count` highest scores, ties broken by position (deterministic).
    static func topIndices(_ scores: [Double], count: Int) -> [Int] {
        scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }.prefix(count).map { $0 }
    }
}
