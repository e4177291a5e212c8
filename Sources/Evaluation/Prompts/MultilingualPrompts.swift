/// lm-eval 0.4 templates of XCOPA, XStoryCloze, XWinograd and the EXAMS choice.
public enum XCOPAPrompt {
    /// `premise.strip()[:-1] + " " + connector` — the last code point (normally the period) is dropped blindly.
    public static func context(_ row: XCOPARow, connectors: (cause: String, effect: String)) -> String {
        let connector = row.question == "cause" ? connectors.cause : connectors.effect
        return PythonString.dropLast(PythonString.strip(row.premise)) + " " + connector
    }

    /// `choice[0].lower() + choice[1:]`.
    public static func choices(_ row: XCOPARow) -> [String] {
        [PythonString.lowercaseFirst(row.choice1), PythonString.lowercaseFirst(row.choice2)]
    }

    public static func item(language: String, row: XCOPARow, connectors: (cause: String, effect: String),
                            docId: Int = 0, targetDelimiter: String = " ") -> PreparedItem {
        let choices = choices(row)
        return PreparedItem(promptId: "\(language)/\(row.line)", subset: language,
                            task: .multipleChoice(context: context(row, connectors: connectors),
                                                  continuations: choices.map { targetDelimiter + $0 }, choiceTexts: choices, gold: row.label),
                            docId: docId, doc: row.doc)
    }
}

public enum StoryClozePrompt {
    public static func item(language: String, row: StoryClozeRow, docId: Int = 0, targetDelimiter: String = " ") -> PreparedItem {
        PreparedItem(promptId: "\(language)/\(row.line)", subset: language,
                     task: .multipleChoice(context: row.sentences.joined(separator: " "),
                                           continuations: row.endings.map { targetDelimiter + $0 }, choiceTexts: row.endings, gold: row.answer),
                     docId: docId, doc: row.doc)
    }
}

public enum WinogradPrompt {
    /// lm-eval winogrande/xwinograd partial scoring: contexts `sentence[:i] + option` (i = index of
    /// the first "_", no space added) and the shared continuation " " + `sentence[i+1:].strip()`.
    public static func item(language: String, row: WinogradRow, docId: Int = 0, targetDelimiter: String = " ") throws -> PreparedItem {
        guard let blank = row.sentence.unicodeScalars.firstIndex(of: "_") else {
            throw EvaluationError.malformedRow(file: "xwinograd/\(language)", location: "line \(row.line)", field: "sentence",
                                               reason: "no '_' blank")
        }
        let before = String(row.sentence.unicodeScalars[..<blank])
        let after = String(row.sentence.unicodeScalars[row.sentence.unicodeScalars.index(after: blank)...])
        return PreparedItem(promptId: "\(language)/\(row.line)", subset: language,
                            task: .partialScoring(contexts: [before + row.option1, before + row.option2],
                                                  continuation: targetDelimiter + PythonString.strip(after), gold: row.answer),
                            docId: docId, doc: doc(row))
    }

    /// The row in the layout of the Hugging Face `Muennighoff/xwinograd` rows lm-eval reads
    /// (sentence with "_", option1, option2, answer "1"/"2"), derived from the mirror's TSV.
    public static func doc(_ row: WinogradRow) -> PythonJSON {
        .object([("sentence", .string(row.sentence)), ("option1", .string(row.option1)),
                 ("option2", .string(row.option2)), ("answer", .string(String(row.answer + 1)))])
    }
}

public enum EXAMSPrompt {
    /// "Q: {stem}\nA:" with choices " {text}" (lm-eval exams_closed_book template).
    public static func item(language: String, row: EXAMSRow, docId: Int = 0, targetDelimiter: String = " ") -> PreparedItem {
        PreparedItem(promptId: "\(language)/\(row.line)", subset: language,
                     task: .multipleChoice(context: "Q: \(row.stem)\nA:",
                                           continuations: row.choices.map { targetDelimiter + $0 }, choiceTexts: row.choices, gold: row.answer),
                     docId: docId, doc: row.doc)
    }
}
