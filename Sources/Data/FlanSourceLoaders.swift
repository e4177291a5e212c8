import Foundation

/// Loaders for the Flanv2 sources whose layout is used by one dataset only.
enum FlanSourceLoaders {
    typealias Loader = FlanLoaders.Loader

    /// CommonGen seq2seq text files: `src_alpha` (space-separated concepts) ↔ `tgt` (a sentence).
    static let commonGen: Loader = { dir, spec in
        let concepts = try RowReader.lines(dir, spec.sourceFiles[0])
        let targets = try RowReader.lines(dir, spec.sourceFiles[1])
        guard concepts.count == targets.count else {
            throw DataError.malformedRow(file: spec.sourceFiles[1], line: min(concepts.count, targets.count) + 1, reason: "not line-aligned with \(spec.sourceFiles[0])")
        }
        return zip(concepts, targets).enumerated().map { i, pair in
            let list = pair.0.split(separator: " ").joined(separator: ", ")
            return spec.example(file: spec.sourceFiles[0], row: i + 1, input: "Concepts: \(list)", output: PromptText.clean(pair.1))
        }
    }

    /// DART JSON array of `{"tripleset":[[s,p,o]…],"annotations":[{"text"}…]}`: the first annotation.
    static let dart: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        guard let entries = try RowReader.json(dir, file) as? [[String: Any]] else {
            throw DataError.malformedRow(file: file, line: 1, reason: "expected a JSON array of DART entries")
        }
        return try entries.enumerated().map { i, entry in
            guard let triples = entry["tripleset"] as? [[String]],
                  let text = (entry["annotations"] as? [[String: Any]])?.first?["text"] as? String else {
                throw DataError.malformedRow(file: file, line: 0, reason: "entry \(i + 1) lacks tripleset or annotations[0].text")
            }
            let input = triples.map { $0.joined(separator: " | ") }.joined(separator: "\n")
            return spec.example(file: file, row: i + 1, input: input, output: PromptText.clean(text))
        }
    }

    /// E2E NLG CSV `mr,ref`: meaning representation → one human reference.
    static let e2e: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.table(dir, file, separator: ",").map { row in
            spec.example(file: file, row: row.row, input: PromptText.clean(try row.field("mr")), output: PromptText.clean(try row.field("ref")))
        }
    }

    /// WebNLG 1.6 XML (every `*.xml` under the source folder, sorted): one example per
    /// `<entry>` — its modified triples → the first non-empty `<text>` lexicalisation. Scanned as text:
    /// the layout is regular and this avoids a FoundationXML dependency.
    static let webNLG: Loader = { dir, spec in
        let folder = dir.url(spec.sourceFiles[0])
        guard FileManager.default.fileExists(atPath: folder.path) else { throw DataError.missingFile(path: folder.path) }
        let files = (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".xml") }.sorted()
        var out: [TrainingExample] = []
        for name in files {
            let relative = spec.sourceFiles[0] + "/" + name
            let text = try dir.text(relative)
            for (i, entry) in text.components(separatedBy: "<entry ").dropFirst().enumerated() {
                let triples = XMLText.all("mtriple", in: entry).map { XMLText.unescape($0.replacingOccurrences(of: "_", with: " ")) }
                guard !triples.isEmpty else {
                    throw DataError.malformedRow(file: relative, line: 0, reason: "entry \(i + 1) has no <mtriple>")
                }
                // Some entries carry only empty `<text/>` placeholders (lexicalisation not yet
                // written): they have no target and are skipped.
                guard let sentence = XMLText.all("text", in: entry).first(where: { !$0.isEmpty }) else { continue }
                out.append(spec.example(file: relative, row: i + 1, input: triples.joined(separator: "\n"), output: XMLText.unescape(sentence)))
            }
        }
        return out
    }

    /// HellaSwag plain-text layout: 6 lines per task (context, label, 4 endings).
    static let hellaSwag: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        let lines = try RowReader.lines(dir, file)
        guard lines.count % 6 == 0 else {
            throw DataError.malformedRow(file: file, line: lines.count, reason: "\(lines.count) lines is not a multiple of 6 (context, label, 4 endings)")
        }
        return try stride(from: 0, to: lines.count, by: 6).map { start in
            let endings = Array(lines[(start + 2)..<(start + 6)]).map(PromptText.clean)
            let label = try PromptText.labelIndex(lines[start + 1].trimmingCharacters(in: .whitespaces), base: 0, count: 4, file: file, line: start + 2)
            return spec.example(file: file, row: start / 6 + 1, input: "Context: \(PromptText.clean(lines[start]))\n\(PromptText.options(endings))", output: endings[label])
        }
    }

    /// StoryCloze spring2016 CSV: four sentences, two candidate endings, `AnswerRightEnding` 1|2.
    static let storyCloze: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.table(dir, file, separator: ",").map { row in
            let story = try (1...4).map { try row.field("InputSentence\($0)") }.joined(separator: " ")
            let endings = try [row.field("RandomFifthSentenceQuiz1"), row.field("RandomFifthSentenceQuiz2")]
            let label = try PromptText.labelIndex(try row.field("AnswerRightEnding"), base: 1, count: 2, file: file, line: row.line)
            return spec.example(file: file, row: row.row, input: "Story: \(story)\n\(PromptText.options(endings))", output: endings[label])
        }
    }

    /// Sentiment140 test CSV, no header: polarity (0 negative, 2 neutral, 4 positive) first,
    /// tweet text last. Neutral tweets are dropped: the FLAN task is binary polarity.
    static let sentiment140: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.table(dir, file, separator: ",", header: false).compactMap { row in
            let polarity = try row.field(0)
            guard let tweet = row.fields.last, row.fields.count >= 2 else { throw row.fail("expected polarity and text") }
            switch polarity {
            case "0": return spec.example(file: file, row: row.row, input: PromptText.clean(tweet), output: "negative")
            case "4": return spec.example(file: file, row: row.row, input: PromptText.clean(tweet), output: "positive")
            case "2": return nil
            default: throw row.fail("polarity '\(polarity)' is not 0, 2 or 4")
            }
        }
    }

    /// SST-2 TSV `sentence\tlabel`.
    static let sst2: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.table(dir, file, separator: "\t").map { row in
            let label = try row.field("label")
            guard label == "0" || label == "1" else { throw row.fail("label '\(label)' is not 0 or 1") }
            return spec.example(file: file, row: row.row, input: PromptText.clean(try row.field("sentence")), output: label == "1" ? "positive" : "negative")
        }
    }

    /// OpenBookQA TSV: `Question Stem`, `Choices` as "(A) … (B) … (C) … (D) …", `Answer Key`.
    static let openBookQA: Loader = { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.table(dir, file, separator: "\t").map { row in
            let choicesText = try row.field("Choices")
            var choices: [String] = []
            var labels: [String] = []
            for letter in ["A", "B", "C", "D"] {
                guard let start = choicesText.range(of: "(\(letter)) ") else { continue }
                let rest = choicesText[start.upperBound...]
                let next = ["A", "B", "C", "D"].compactMap { rest.range(of: " (\($0)) ")?.lowerBound }.min() ?? rest.endIndex
                choices.append(PromptText.clean(String(rest[..<next])))
                labels.append(letter)
            }
            let key = try row.field("Answer Key").trimmingCharacters(in: .whitespaces)
            guard let index = labels.firstIndex(of: key) else { throw row.fail("answer key '\(key)' not among parsed choices \(labels)") }
            return spec.example(file: file, row: row.row, input: "Question: \(PromptText.clean(try row.field("Question Stem")))\n\(PromptText.options(choices))", output: choices[index])
        }
    }

    /// SQuAD 2.0 dev set as the official explorer's HTML pages (the JSON is not in the mirror):
    /// per paragraph a `<pre>` context and `qa-wrap` blocks with the question and either
    /// `<span class="answer">` gold answers or a no-answer marker. Unanswerable questions get
    /// the target "unanswerable", which the instruction announces.
    static let squadV2HTML: Loader = { dir, spec in
        let folder = dir.url(spec.sourceFiles[0])
        guard FileManager.default.fileExists(atPath: folder.path) else { throw DataError.missingFile(path: folder.path) }
        let pages = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".html") && $0 != "index.html" }.sorted()
        var out: [TrainingExample] = []
        for page in pages {
            let relative = spec.sourceFiles[0] + "/" + page
            // Scanned as UTF-8 bytes: the pages are large and String searching is slow.
            let html = ByteText(Array(try dir.contents(relative)))
            var row = 0
            let paragraphs = html.positions(of: "<div class=\"para-wrap\">") + [html.bytes.count]
            for (start, end) in zip(paragraphs, paragraphs.dropFirst()) {
                guard let context = html.between("<pre>", "</pre>", in: start..<end) else {
                    throw DataError.malformedRow(file: relative, line: 0, reason: "paragraph without <pre> context")
                }
                let passage = XMLText.unescape(context)
                let questions = html.positions(of: "<div class=\"qa-wrap\"", in: start..<end) + [end]
                for (qStart, qEnd) in zip(questions, questions.dropFirst()) {
                    row += 1
                    guard let question = html.between("<strong class=\"question\">", "</strong>", in: qStart..<qEnd) else {
                        throw DataError.malformedRow(file: relative, line: 0, reason: "question \(row) has no <strong class=\"question\">")
                    }
                    let answer = html.between("<span class=\"answer\">", "</span>", in: qStart..<qEnd).map(XMLText.unescape) ?? "unanswerable"
                    out.append(spec.example(file: relative, row: row,
                                            input: "Passage: \(passage)\nQuestion: \(XMLText.unescape(question))",
                                            output: PromptText.clean(answer)))
                }
            }
        }
        return out
    }

    /// MultiRC (SuperGLUE JSONL, one passage per line): flattened to one example per candidate
    /// answer, as FLAN does ("is this response correct?" → yes/no). Rows are numbered over
    /// candidate answers within the file.
    static let multiRC: Loader = { dir, spec in
        var out: [TrainingExample] = []
        for file in spec.sourceFiles {
            var row = 0
            for line in try RowReader.jsonl(dir, file) {
                guard let passage = line.object["passage"] as? [String: Any], let text = passage["text"] as? String,
                      let questions = passage["questions"] as? [[String: Any]] else { throw line.fail("no passage.text/questions") }
                let paragraph = XMLText.stripTags(text)
                for q in questions {
                    guard let question = q["question"] as? String, let answers = q["answers"] as? [[String: Any]] else { throw line.fail("question without text/answers") }
                    for a in answers {
                        row += 1
                        guard let answer = a["text"] as? String, let label = a["label"] as? Int else { throw line.fail("answer without text/label") }
                        out.append(spec.example(file: file, row: row, input: "Paragraph: \(PromptText.clean(paragraph))\nQuestion: \(PromptText.clean(question))\nCandidate answer: \(PromptText.clean(answer))",
                                                output: label == 1 ? "yes" : "no"))
                    }
                }
            }
        }
        return out
    }
}

/// Minimal tag scanning for the regular XML/HTML layouts of WebNLG and the SQuAD explorer.
enum XMLText {
    static func all(_ tag: String, in text: String) -> [String] {
        var out: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(tag)") {
            guard let close = rest[open.upperBound...].range(of: ">") else { break }
            // `<text>` must not match `<template>`: the tag name ends at '>' or whitespace.
            let between = rest[open.upperBound..<close.lowerBound]
            guard between.isEmpty || between.first == " " else { rest = rest[close.upperBound...]; continue }
            guard let end = rest[close.upperBound...].range(of: "</\(tag)>") else { break }
            out.append(String(rest[close.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        var t = s
        for (entity, char) in [("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
            t = t.replacingOccurrences(of: entity, with: char)
        }
        return t.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func stripTags(_ s: String) -> String {
        s.replacingOccurrences(of: "<br>", with: " ").replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
    }
}

/// Substring search over UTF-8 bytes, for the large HTML pages.
struct ByteText {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func first(_ pattern: String, in range: Range<Int>) -> Int? {
        let p = Array(pattern.utf8)
        guard !p.isEmpty, range.count >= p.count else { return nil }
        var i = range.lowerBound
        let last = range.upperBound - p.count
        while i <= last {
            if bytes[i] == p[0] {
                var j = 1
                while j < p.count && bytes[i + j] == p[j] { j += 1 }
                if j == p.count { return i }
            }
            i += 1
        }
        return nil
    }

    func positions(of pattern: String, in range: Range<Int>? = nil) -> [Int] {
        let whole = range ?? 0..<bytes.count
        var out: [Int] = []
        var from = whole.lowerBound
        while let i = first(pattern, in: from..<whole.upperBound) {
            out.append(i)
            from = i + 1
        }
        return out
    }

    /// The text between the first `open` in `range` and the next `close`.
    func between(_ open: String, _ close: String, in range: Range<Int>) -> String? {
        guard let a = first(open, in: range) else { return nil }
        let start = a + open.utf8.count
        guard let b = first(close, in: start..<range.upperBound) else { return nil }
        return String(decoding: bytes[start..<b], as: UTF8.self)
    }
}
