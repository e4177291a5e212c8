import Foundation

/// Loader building blocks for the Flanv2 sources, one per file layout in `data/flan/`.
/// Each returns a `TaskSpec` loader closure; the catalog supplies the task-specific wording.
enum FlanLoaders {
    typealias Loader = @Sendable (DataDirectory, TaskSpec) throws -> [TrainingExample]

    /// MetaICL/CrossFit JSONL `{"input","output","options"}`. Fields are joined by " [SEP] " in
    /// that layout; they become separate lines. The k-shot files of different seeds overlap,
    /// so an (input, output) pair already seen is skipped (its first id is kept).
    static func crossfit() -> Loader {
        { dir, spec in
            var seen = Set<String>()
            var out: [TrainingExample] = []
            for file in spec.sourceFiles {
                for row in try RowReader.jsonl(dir, file) {
                    let input = try row.string("input").replacingOccurrences(of: " [SEP] ", with: "\n")
                    let output = try row.string("output")
                    guard seen.insert(input + "\u{1}" + output).inserted else { continue }
                    let options = (row.object["options"] as? [String]) ?? []
                    let text = options.isEmpty ? input : input + "\n" + PromptText.options(options)
                    out.append(spec.example(file: file, row: row.row, input: PromptText.clean(text), output: PromptText.clean(output)))
                }
            }
            return out
        }
    }

    /// Two line-aligned plain-text files (WMT newstest, FLORES-200): source line → target line.
    /// Ids name the target-language file, which is what distinguishes the tasks.
    static func parallel() -> Loader {
        { dir, spec in
            let source = try RowReader.lines(dir, spec.sourceFiles[0])
            let target = try RowReader.lines(dir, spec.sourceFiles[1])
            guard source.count == target.count else {
                throw DataError.malformedRow(file: spec.sourceFiles[1], line: min(source.count, target.count) + 1,
                                             reason: "\(target.count) lines, but \(spec.sourceFiles[0]) has \(source.count)")
            }
            return zip(source, target).enumerated().compactMap { i, pair in
                let (s, t) = (PromptText.clean(pair.0), PromptText.clean(pair.1))
                return s.isEmpty || t.isEmpty ? nil : spec.example(file: spec.sourceFiles[1], row: i + 1, input: s, output: t)
            }
        }
    }

    /// GLUE-style sentence pairs in PowerfulPromptFT's numbered JSON (`text_a`, `text_b`, `label`).
    static func numberedPairs(first: String, second: String, label: @escaping @Sendable (String) -> String?) -> Loader {
        { dir, spec in
            var out: [TrainingExample] = []
            for file in spec.sourceFiles {
                for row in try RowReader.numberedObjects(dir, file) {
                    let raw = try row.string("label")
                    guard let target = label(raw) else { throw row.fail("unexpected label '\(raw)'") }
                    let input = "\(first): \(PromptText.clean(try row.string("text_a")))\n\(second): \(PromptText.clean(try row.string("text_b")))"
                    out.append(spec.example(file: file, row: row.row, input: input, output: target))
                }
            }
            return out
        }
    }

    /// A single-text classification in PowerfulPromptFT's numbered JSON (`ori`, `label`);
    /// `label` returning nil drops the row (e.g. 3-star Yelp reviews, which have no polarity).
    static func numberedTexts(label: @escaping @Sendable (String) -> String?) -> Loader {
        { dir, spec in
            var out: [TrainingExample] = []
            for file in spec.sourceFiles {
                for row in try RowReader.numberedObjects(dir, file) {
                    guard let target = label(try row.string("label")) else { continue }
                    out.append(spec.example(file: file, row: row.row, input: PromptText.clean(try row.string("ori")), output: target))
                }
            }
            return out
        }
    }

    /// GLUE TSV sentence pairs with a header (RTE, WNLI, QNLI, MRPC).
    static func tsvPairs(first: (column: String, label: String), second: (column: String, label: String),
                         labelColumn: String, label: @escaping @Sendable (String) -> String?) -> Loader {
        { dir, spec in
            var out: [TrainingExample] = []
            for file in spec.sourceFiles {
                for row in try RowReader.table(dir, file, separator: "\t") {
                    let raw = try row.field(labelColumn).trimmingCharacters(in: .whitespaces)
                    guard let target = label(raw) else { throw row.fail("unexpected label '\(raw)'") }
                    let input = "\(first.label): \(PromptText.clean(try row.field(first.column)))\n\(second.label): \(PromptText.clean(try row.field(second.column)))"
                    out.append(spec.example(file: file, row: row.row, input: input, output: target))
                }
            }
            return out
        }
    }

    /// SuperGLUE JSONL, one example per line, shaped by `make` (nil skips the row).
    static func superGLUE(_ make: @escaping @Sendable (JSONRow) throws -> (input: String, output: String)?) -> Loader {
        { dir, spec in
            var out: [TrainingExample] = []
            for file in spec.sourceFiles {
                for row in try RowReader.jsonl(dir, file) {
                    guard let (input, output) = try make(row) else { continue }
                    out.append(spec.example(file: file, row: row.row, input: input, output: output))
                }
            }
            return out
        }
    }

    /// Open-domain QA JSONL `{"question","answer":[aliases]}` (NQ-open, TriviaQA): the first alias.
    static func openQA() -> Loader {
        superGLUE { row in
            guard let answer = try row.strings("answer").first else { throw row.fail("empty answer list") }
            return (PromptText.clean(try row.string("question")), answer)
        }
    }

    /// AI2 ARC JSONL `{"question":{"stem","choices":[{"text","label"}]},"answerKey"}`.
    static func arc() -> Loader {
        superGLUE { row in
            guard let question = row.object["question"] as? [String: Any], let stem = question["stem"] as? String,
                  let choices = question["choices"] as? [[String: Any]] else { throw row.fail("no question.stem/choices") }
            let texts = choices.compactMap { $0["text"] as? String }
            let labels = choices.compactMap { $0["label"] as? String }
            let key = try row.string("answerKey")
            guard texts.count == choices.count, let index = labels.firstIndex(of: key) else {
                throw row.fail("answerKey '\(key)' not among choice labels \(labels)")
            }
            return ("Question: \(PromptText.clean(stem))\n\(PromptText.options(texts))", texts[index])
        }
    }

    /// SQuAD-format JSON (`data[].paragraphs[].qas[]`): one example per question, the first
    /// gold answer as target; rows are numbered over questions in file order.
    static func squadJSON() -> Loader {
        { dir, spec in
            let file = spec.sourceFiles[0]
            guard let top = try RowReader.json(dir, file) as? [String: Any], let articles = top["data"] as? [[String: Any]] else {
                throw DataError.malformedRow(file: file, line: 0, reason: "no top-level \"data\" list (SQuAD layout)")
            }
            var out: [TrainingExample] = []
            var row = 0
            for article in articles {
                for paragraph in article["paragraphs"] as? [[String: Any]] ?? [] {
                    let context = paragraph["context"] as? String ?? ""
                    for qa in paragraph["qas"] as? [[String: Any]] ?? [] {
                        row += 1
                        guard let question = qa["question"] as? String,
                              let answer = (qa["answers"] as? [[String: Any]])?.first?["text"] as? String else {
                            throw DataError.malformedRow(file: file, line: 0, reason: "question \(row) has no question text or answer")
                        }
                        out.append(spec.example(file: file, row: row, input: "Passage: \(PromptText.clean(context))\nQuestion: \(PromptText.clean(question))",
                                                output: PromptText.clean(answer)))
                    }
                }
            }
            return out
        }
    }

    /// The DPR / WSC273 text layout: blocks of four lines (sentence, pronoun, comma-separated
    /// candidates, answer) separated by blank lines.
    static func pronounBlocks() -> Loader {
        { dir, spec in
            var out: [TrainingExample] = []
            for file in spec.sourceFiles {
                let lines = try RowReader.lines(dir, file)
                var block: [(Int, String)] = []
                var fileRow = 0
                func flush() throws {
                    defer { block = [] }
                    guard !block.isEmpty else { return }
                    guard block.count == 4 else {
                        throw DataError.malformedRow(file: file, line: block[0].0, reason: "expected 4 lines (sentence, pronoun, candidates, answer), found \(block.count)")
                    }
                    let sentence = PromptText.clean(block[0].1), pronoun = PromptText.clean(block[1].1)
                    let candidates = block[2].1.split(separator: ",").map { PromptText.clean(String($0)) }
                    let answer = PromptText.clean(block[3].1)
                    let input = "Sentence: \(sentence)\nWho or what does \"\(pronoun)\" refer to?\n\(PromptText.options(candidates))"
                    fileRow += 1
                    out.append(spec.example(file: file, row: fileRow, input: input, output: answer))
                }
                for (i, line) in lines.enumerated() {
                    if line.trimmingCharacters(in: .whitespaces).isEmpty { try flush() } else { block.append((i + 1, line)) }
                }
                try flush()
            }
            return out
        }
    }
}
