import Foundation

/// The text view of examples used by the data-selection baselines (appendix A.4).
enum SelectionText {
    /// What is scored for an example: its input and target. The instruction is left out: it is
    /// the same for every example of a task and would only add a constant.
    static func document(_ example: TrainingExample) -> String { example.input + "\n" + example.output }

    /// Simple lower-case word tokenisation: maximal runs of letters or digits.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) { current.unicodeScalars.append(scalar) }
            else if !current.isEmpty { words.append(current); current = "" }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Indices of the `count` highest scores, ties broken by position (deterministic).
    static func topIndices(_ scores: [Double], count: Int) -> [Int] {
        scores.indices.sorted { (scores[$0], -$0) > (scores[$1], -$1) }.prefix(count).map { $0 }
    }
}
