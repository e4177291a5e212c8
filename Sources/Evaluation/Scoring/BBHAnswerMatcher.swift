import Foundation

/// Exact match for BBH generations. The target's kind decides the comparison:
/// - an option "(X)": the last "(X)" (single capital letter) in the answer must be "(X)";
/// - a number: the last number in the answer (commas removed) must equal it numerically;
/// - anything else (True/False, Yes/No, valid/invalid, Dyck closings, sorted words): the trimmed
///   answer, case-folded, must equal the case-folded target.
public enum BBHAnswerMatcher {
    public enum Kind: String, Sendable { case option, number, text }

    public static func kind(of target: String) -> Kind {
        let t = target.trimmingCharacters(in: .whitespacesAndNewlines)
        if optionLetter(exact: t) != nil { return .option }
        if Double(t) != nil { return .number }
        return .text
    }

    /// The part of `answer` that is compared with `target` ("(B)", "24", or the trimmed text), or
    /// nil when the answer holds nothing of the target's kind.
    public static func extract(_ answer: String, target: String) -> String? {
        let a = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind(of: target) {
        case .option: return lastOption(in: a).map { "(\($0))" }
        case .number: return lastNumber(in: a)
        case .text: return a
        }
    }

    public static func matches(_ answer: String, target: String) -> Bool {
        guard let got = extract(answer, target: target) else { return false }
        let t = target.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind(of: target) {
        case .option: return got == t
        case .number: return Double(got) == Double(t)
        case .text: return got.lowercased() == t.lowercased()
        }
    }

    static func optionLetter(exact s: String) -> Character? {
        let c = Array(s)
        guard c.count == 3, c[0] == "(", c[2] == ")", let l = c[1].asciiValue, (65...90).contains(l) else { return nil }
        return c[1]
    }

    static func lastOption(in s: String) -> Character? {
        let c = Array(s)
        guard c.count >= 3 else { return nil }
        for i in stride(from: c.count - 3, through: 0, by: -1) where c[i] == "(" && c[i + 2] == ")" {
            if let l = c[i + 1].asciiValue, (65...90).contains(l) { return c[i + 1] }
        }
        return nil
    }

    /// The last `-?digits(.digits)?` in the text, thousands separators removed.
    static func lastNumber(in s: String) -> String? {
        let cleaned = Array(s.replacingOccurrences(of: ",", with: ""))
        var last: String?
        var i = 0
        while i < cleaned.count {
            if cleaned[i].isASCII, cleaned[i].isNumber {
                var j = i
                while j < cleaned.count, cleaned[j].isASCII, cleaned[j].isNumber { j += 1 }
                if j + 1 < cleaned.count, cleaned[j] == ".", cleaned[j + 1].isASCII, cleaned[j + 1].isNumber {
                    j += 1
                    while j < cleaned.count, cleaned[j].isASCII, cleaned[j].isNumber { j += 1 }
                }
                let negative = i > 0 && cleaned[i - 1] == "-"
                last = (negative ? "-" : "") + String(cleaned[i..<j])
                i = j
            } else { i += 1 }
        }
        return last
    }
}

/// Turns a raw generation into the answer string the matcher sees, per the definition.
public enum AnswerExtractor {
    /// lm-eval CoT filter `(?<=the answer is )(.*)(?=.)`, take_first: text after the first
    /// "the answer is " to the line's last character, exclusive. nil when absent ("[invalid]").
    public static func answerIsPhrase(_ text: String) -> String? {
        guard let r = text.range(of: "the answer is ") else { return nil }
        let line = text[r.upperBound...].prefix { $0 != "\n" }
        return line.isEmpty ? nil : String(line.dropLast())
    }

    /// (extracted answer, correct) for a generation under `rule`.
    public static func score(generation: String, target: String, rule: AnswerExtraction) -> (extracted: String?, correct: Bool) {
        switch rule {
        case .none:
            return (nil, false)
        case .bbhFinalAnswer:
            let extracted = BBHAnswerMatcher.extract(generation, target: target)
            return (extracted, BBHAnswerMatcher.matches(generation, target: target))
        case .bbhAnswerIsPhrase:
            guard let phrase = answerIsPhrase(generation) else { return (nil, false) }
            return (BBHAnswerMatcher.extract(phrase, target: target), BBHAnswerMatcher.matches(phrase, target: target))
        case .instructEvalPrefix:
            let pred = PythonString.strip(generation)
            return (pred, pred.hasPrefix(target))
        case .openCompassBBH:
            let (pred, correct) = OpenCompassBBH.score(generation: generation, target: target)
            return (pred, correct)
        case .rloraLastAnswer:
            let (pred, correct) = RLoRABBH.score(generation: generation, target: target)
            return (pred, correct)
        }
    }
}
