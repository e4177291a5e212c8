import Foundation
import struct Data.DataDirectory

/// A benchmark file format: `parse` reads its text, `load` reads a file of the data directory.
public protocol DocumentFileLoader {
    associatedtype Row
    static func parse(_ text: String, file: String) throws -> [Row]
}

extension DocumentFileLoader {
    public static func load(_ relative: String, in data: DataDirectory) throws -> [Row] {
        try parse(data.text(relative), file: data.url(relative).path)
    }
}

/// `xcopa/<lang>/test.<lang>.jsonl`.
public enum XCOPALoader: DocumentFileLoader {
    public static func parse(_ text: String, file: String) throws -> [XCOPARow] {
        try DocumentRow.lines(of: text, file: file).map { row in
            let question = try row.string("question")
            guard question == "cause" || question == "effect" else { throw row.fail("question", "'\(question)' is neither cause nor effect") }
            let label = try row.int("label")
            guard label == 0 || label == 1 else { throw row.fail("label", "\(label) is not 0 or 1") }
            var r = XCOPARow(premise: try row.string("premise"), choice1: try row.string("choice1"),
                             choice2: try row.string("choice2"), question: question, label: label,
                             line: row.line)
            r.doc = try row.doc()
            return r
        }
    }
}

/// `xstorycloze/<lang>_eval.jsonl`.
public enum StoryClozeLoader: DocumentFileLoader {
    public static func parse(_ text: String, file: String) throws -> [StoryClozeRow] {
        try DocumentRow.lines(of: text, file: file).map { row in
            let right = try row.int("answer_right_ending")
            guard right == 1 || right == 2 else { throw row.fail("answer_right_ending", "\(right) is not 1 or 2") }
            return StoryClozeRow(
                storyId: try row.string("story_id"),
                sentences: try (1...4).map { try row.string("input_sentence_\($0)") },
                endings: [try row.string("sentence_quiz1"), try row.string("sentence_quiz2")],
                answer: right - 1, line: row.line, doc: try row.doc())
        }
    }
}

/// `exams/multilingual/test.jsonl`, rows of one `info.language`.
public enum EXAMSLoader {
    public static func load(_ relative: String, language: String?, in data: DataDirectory) throws -> (rows: [EXAMSRow], skipped: [SkippedRow]) {
        try parse(data.text(relative), file: data.url(relative).path, language: language)
    }

    public static func parse(_ text: String, file: String, language: String?) throws -> (rows: [EXAMSRow], skipped: [SkippedRow]) {
        var rows: [EXAMSRow] = [], skipped: [SkippedRow] = []
        for row in try DocumentRow.lines(of: text, file: file) {
            let lang = try row.row("info").string("language")
            if let language, lang != language { continue }
            let line = row.line
            let question = try row.row("question")
            let choices = try question.rows("choices")
            guard !choices.isEmpty else { throw question.fail("choices", "empty") }
            let labels = try choices.map { try $0.string("label") }
            let key = try row.string("answerKey")
            guard let answer = labels.firstIndex(of: key) else {
                skipped.append(SkippedRow(file: file, line: line, group: lang,
                    reason: "answerKey '\(key)' is not one of the choice labels \(labels.joined(separator: ","))"))
                continue
            }
            rows.append(EXAMSRow(id: try row.string("id"), stem: try question.string("stem"),
                                 choices: try choices.map { try $0.string("text") }, answer: answer,
                                 language: lang, line: line, doc: try row.doc()))
        }
        return (rows, skipped)
    }
}
