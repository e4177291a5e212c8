import Foundation
import struct Data.DataDirectory

/// Derives HF-style XWinograd rows from `xwinograd/dataset.tsv` (Tikhonov & Ryabinin): columns
/// lang, source, ?, sentence, tokens (JSON), pronoun [text, [start, end), tokens],
/// candidates [[text, [start, end), tokens, is_correct], …]. Spans index tokens; each token is
/// located in the sentence in order (PTB-style `` and '' tokens stand for a straight double quote)
/// and the pronoun's characters are replaced by "_".
public enum XWinogradLoader {
    public static func load(_ relative: String, language: String?, in data: DataDirectory) throws -> [WinogradRow] {
        try parse(data.text(relative), file: data.url(relative).path, language: language)
    }

    /// Every row of the file with its language column.
    public static func loadAll(_ relative: String, in data: DataDirectory) throws -> [(language: String, row: WinogradRow)] {
        try parseAll(data.text(relative), file: data.url(relative).path, language: nil)
    }

    public static func parse(_ text: String, file: String, language: String?) throws -> [WinogradRow] {
        try parseAll(text, file: file, language: language).map { $0.row }
    }

    static func parseAll(_ text: String, file: String, language: String?) throws -> [(language: String, row: WinogradRow)] {
        var rows: [(language: String, row: WinogradRow)] = []
        for (number, line) in TextFile.lines(text) where !line.isEmpty {
            func fail(_ field: String?, _ reason: String) -> EvaluationError {
                .malformedRow(file: file, location: "line \(number)", field: field, reason: reason)
            }
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count == 7 else { throw fail(nil, "\(cols.count) tab-separated columns, expected 7") }
            if let language, cols[0] != language { continue }
            let sentence = cols[3]
            guard let tokens = json(cols[4]) as? [String] else { throw fail("tokens", "expected a JSON array of strings") }
            guard let pronoun = json(cols[5]) as? [Any], pronoun.count >= 2, let pSpan = span(pronoun[1]) else {
                throw fail("pronoun", "expected [text, [start, end], tokens]")
            }
            guard let candidates = json(cols[6]) as? [[Any]], candidates.count == 2 else {
                throw fail("candidates", "expected a JSON array of two candidates")
            }
            var options: [String] = [], correct: [Bool] = []
            for (i, c) in candidates.enumerated() {
                guard c.count >= 4, let text = c[0] as? String, let ok = c[3] as? Bool else {
                    throw fail("candidates[\(i)]", "expected [text, [start, end], tokens, is_correct]")
                }
                options.append(text); correct.append(ok)
            }
            guard correct.filter({ $0 }).count == 1, let answer = correct.firstIndex(of: true) else {
                throw fail("candidates", "exactly one candidate must be marked correct")
            }
            guard let offsets = tokenOffsets(sentence: sentence, tokens: tokens) else {
                throw fail("tokens", "the tokens cannot be located in order in the sentence")
            }
            guard pSpan.lowerBound >= 0, pSpan.upperBound <= tokens.count, !pSpan.isEmpty else {
                throw fail("pronoun", "token span \(pSpan) is outside the \(tokens.count) tokens")
            }
            let scalars = Array(sentence.unicodeScalars)
            let start = offsets[pSpan.lowerBound].lowerBound, end = offsets[pSpan.upperBound - 1].upperBound
            let blanked = PythonString.makeString(scalars[..<start]) + "_" + PythonString.makeString(scalars[end...])
            rows.append((cols[0], WinogradRow(sentence: blanked, option1: options[0], option2: options[1], answer: answer, line: number)))
        }
        return rows
    }

    static func json(_ s: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(s.utf8))
    }

    static func span(_ v: Any) -> Range<Int>? {
        guard let a = v as? [Int], a.count == 2, a[0] <= a[1] else { return nil }
        return a[0]..<a[1]
    }

    /// Unicode-scalar ranges of each token, found left to right with only whitespace between them.
    static func tokenOffsets(sentence: String, tokens: [String]) -> [Range<Int>]? {
        let s = Array(sentence.unicodeScalars)
        var pos = 0
        var out: [Range<Int>] = []
        for token in tokens {
            let forms = token == "``" || token == "''" ? [token, "\""] : [token]
            var found: Range<Int>?
            for form in forms {
                let f = Array(form.unicodeScalars)
                var i = pos
                while i < s.count, PythonString.isSpace(s[i]) { i += 1 }
                if !f.isEmpty, i + f.count <= s.count, Array(s[i..<i + f.count]) == f { found = i..<i + f.count; break }
            }
            guard let r = found else { return nil }
            out.append(r); pos = r.upperBound
        }
        return out
    }
}
