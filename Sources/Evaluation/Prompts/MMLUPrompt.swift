/// lm-eval 0.4 `mmlu` (default) prompt: description, k dev shots each answered " {letter}\n\n",
/// then the test question ending "Answer:"; continuations " A"…" D".
public enum MMLUPrompt {
    public static let letters = ["A", "B", "C", "D"]

    /// "The following are multiple choice questions (with answers) about {subject with spaces}.\n\n"
    public static func description(subject: String) -> String {
        "The following are multiple choice questions (with answers) about \(subject.replacingOccurrences(of: "_", with: " ")).\n\n"
    }

    /// `question.strip() + "\nA. {c0}\nB. {c1}\nC. {c2}\nD. {c3}\nAnswer:"` (choices not stripped).
    public static func question(_ row: MMLURow) -> String {
        var s = PythonString.strip(row.question)
        for (letter, choice) in zip(letters, row.choices) { s += "\n\(letter). \(choice)" }
        return s + "\nAnswer:"
    }

    /// Each shot is its question + target delimiter + its letter + few-shot delimiter (lm-eval
    /// renders an answered shot as doc_to_text + target_delimiter + doc_to_target).
    public static func context(subject: String, shots: [MMLURow], row: MMLURow,
                               targetDelimiter: String = " ", fewshotDelimiter: String = "\n\n") -> String {
        var s = description(subject: subject)
        for shot in shots { s += question(shot) + targetDelimiter + letters[shot.answer] + fewshotDelimiter }
        return s + question(row)
    }

    /// `docId` is the row's 0-based position in the subject's test file.
    public static func item(subject: String, shots: [MMLURow], row: MMLURow, docId: Int = 0,
                            targetDelimiter: String = " ", fewshotDelimiter: String = "\n\n") -> PreparedItem {
        PreparedItem(promptId: "\(subject)/\(row.line)", subset: subject,
                     task: .multipleChoice(context: context(subject: subject, shots: shots, row: row,
                                                            targetDelimiter: targetDelimiter, fewshotDelimiter: fewshotDelimiter),
                                           continuations: letters.map { targetDelimiter + $0 }, choiceTexts: letters, gold: row.answer),
                     docId: docId, doc: doc(subject: subject, row: row))
    }

    /// The row in the layout of the Hugging Face rows lm-eval reads (its mmlu tasks load
    /// `hails/mmlu_no_train`, a copy of `cais/mmlu`): the features in the dataset card's order,
    /// question, subject, choices, answer (a class label, 0–3), so `doc_hash` matches lm-eval's.
    public static func doc(subject: String, row: MMLURow) -> PythonJSON {
        .object([("question", .string(row.question)), ("subject", .string(subject)),
                 ("choices", .array(row.choices.map { .string($0) })), ("answer", .int(row.answer))])
    }
}
