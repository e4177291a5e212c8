/// The rows of each benchmark format, as the mirror stores them (after validation). `line` is the
/// 1-based line (CSV record start, JSONL/TSV line) or item index (BBH JSON) for error messages and ids.

public struct MMLURow: Sendable, Equatable {
    public var question: String
    public var choices: [String]
    /// 0–3.
    public var answer: Int
    public var line: Int
    public init(question: String, choices: [String], answer: Int, line: Int = 0) {
        self.question = question; self.choices = choices; self.answer = answer; self.line = line
    }
}

public struct BBHExample: Sendable, Equatable {
    public var input: String
    public var target: String
    /// Position in the task's `examples` array.
    public var index: Int
    public init(input: String, target: String, index: Int) { self.input = input; self.target = target; self.index = index }
}

public struct XCOPARow: Sendable, Equatable {
    public var premise: String
    public var choice1: String
    public var choice2: String
    /// "cause" or "effect".
    public var question: String
    /// 0 or 1.
    public var label: Int
    public var line: Int
    /// The JSON Lines row as read, keys in file order.
    public var doc: PythonJSON = .null
    public init(premise: String, choice1: String, choice2: String, question: String, label: Int, line: Int = 0) {
        self.premise = premise; self.choice1 = choice1; self.choice2 = choice2
        self.question = question; self.label = label; self.line = line
    }
}

public struct StoryClozeRow: Sendable, Equatable {
    public var storyId: String
    public var sentences: [String]
    public var endings: [String]
    /// 0 or 1 (`answer_right_ending - 1`).
    public var answer: Int
    public var line: Int
    /// The JSON Lines row as read, keys in file order.
    public var doc: PythonJSON = .null
}

/// XWinograd in the HF layout: a sentence with "_" where the pronoun was, two options, answer 0/1.
public struct WinogradRow: Sendable, Equatable {
    public var sentence: String
    public var option1: String
    public var option2: String
    public var answer: Int
    public var line: Int
    public init(sentence: String, option1: String, option2: String, answer: Int, line: Int = 0) {
        self.sentence = sentence; self.option1 = option1; self.option2 = option2; self.answer = answer; self.line = line
    }
}

public struct EXAMSRow: Sendable, Equatable {
    public var id: String
    public var stem: String
    public var choices: [String]
    public var answer: Int
    public var language: String
    public var line: Int
    /// The JSON Lines row as read, keys in file order.
    public var doc: PythonJSON = .null
}

/// A row the loader could not score (kept for the report rather than silently dropped).
public struct SkippedRow: Sendable, Codable, Equatable {
    public var file: String
    public var line: Int
    /// The row's subset value where the file is shared (EXAMS `info.language`).
    public var group: String?
    public var reason: String
}
