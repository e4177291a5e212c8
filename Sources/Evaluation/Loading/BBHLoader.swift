import Foundation
import struct Data.DataDirectory

/// `bbh/tasks/<task>.json` and `bbh/cot-prompts/<task>.txt`.
public enum BBHLoader {
    public static func loadTask(_ relative: String, in data: DataDirectory) throws -> [BBHExample] {
        try parseTask(data.text(relative), file: data.url(relative).path)
    }

    public static func parseTask(_ text: String, file: String) throws -> [BBHExample] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            throw EvaluationError.malformedRow(file: file, location: "document", field: nil, reason: "not valid JSON")
        }
        guard let obj = parsed as? [String: Any] else {
            throw EvaluationError.malformedRow(file: file, location: "document", field: nil, reason: "expected a JSON object")
        }
        let root = DocumentRow(object: obj, file: file, location: "document")
        return try root.rows("examples").enumerated().map { i, row in
            BBHExample(input: try row.string("input"), target: try row.string("target"), index: i)
        }
    }

    /// LoRAHub's `data_bbh/<task>/few_shot.jsonl`: one `{"context", "completion"}` per line.
    public static func loadLoRAHubTask(_ relative: String, in data: DataDirectory) throws -> [LoRAHubBBHExample] {
        let file = data.url(relative).path
        return try DocumentRow.lines(of: data.text(relative), file: file).enumerated().map { i, row in
            LoRAHubBBHExample(context: try row.string("context"), completion: try row.string("completion"), index: i)
        }
    }

    public static func loadPrompt(_ relative: String, in data: DataDirectory) throws -> BBHCoTPrompt {
        try BBHCoTPrompt(text: data.text(relative), file: data.url(relative).path)
    }
}

/// A cot-prompt file: canary line, "-----", the task description (which may span paragraphs, as in
/// snarks), then the "Q: …\nA: Let's think step by step.\n… So the answer is X." exemplars, all
/// separated by blank lines. lm-eval `bbh/_generate_configs.py` derives both BBH few-shot variants from it.
public struct BBHCoTPrompt: Sendable, Equatable {
    public var description: String
    public var exemplars: [String]

    static let cotMarker = "Let's think step by step."

    public init(text: String, file: String) throws {
        let body = text.components(separatedBy: "\n-----\n").last ?? text
        let blocks = body.components(separatedBy: "\n\n")
        guard let firstShot = blocks.firstIndex(where: { $0.hasPrefix("Q: ") }), firstShot > 0 else {
            throw EvaluationError.malformedRow(file: file, location: "document", field: nil,
                                               reason: "expected a description followed by 'Q: ' exemplars separated by blank lines")
        }
        description = blocks[..<firstShot].joined(separator: "\n\n")
        exemplars = Array(blocks[firstShot...])
        for (i, shot) in exemplars.enumerated() where !shot.contains(Self.cotMarker) || Self.finalAnswer(of: shot) == nil {
            throw EvaluationError.malformedRow(file: file, location: "exemplar \(i + 1)", field: nil,
                                               reason: "expected \"\(Self.cotMarker)\" and a final 'answer is …' sentence")
        }
    }

    /// lm-eval regex `(?<=answer is )(.*)(?=.)`: the text after the first "answer is " up to, not
    /// including, the last character of that line.
    public static func finalAnswer(of shot: String) -> String? {
        guard let r = shot.range(of: "answer is ") else { return nil }
        let rest = shot[r.upperBound...]
        let line = rest.prefix { $0 != "\n" }
        return line.isEmpty ? nil : String(line.dropLast())
    }

    /// The answer-only exemplars of lm-eval `bbh_fewshot`: "Q: …\nA: " + final answer.
    public func answerOnlyExemplars() -> [String] {
        exemplars.map { shot in
            let question = shot.components(separatedBy: Self.cotMarker)[0]
            return question + (Self.finalAnswer(of: shot) ?? "")
        }
    }
}

/// One item of LoRAHub's data_bbh: the few-shot context (shots and question) and the expected completion.
public struct LoRAHubBBHExample: Sendable, Equatable {
    public var context: String
    public var completion: String
    /// 0-based position in the file.
    public var index: Int
}
