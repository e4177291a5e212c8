import Foundation

/// The answer rules of the BBH protocols that are not lm-eval's, as their authors' code applies
/// them (Benchmarks/bbh-opencompass.yaml and bbh-rlora.yaml cite the files).
public enum OpenCompassBBH {
    /// `bbh_mcq_postprocess`: the text after the first "answer is " (up to the next one, as
    /// `split(...)[1]`), stripped; then the letter of the first "(X" , else the first capital letter,
    /// else the whole text.
    public static func multipleChoice(_ text: String) -> String {
        var ans = text
        let parts = ans.components(separatedBy: "answer is ")
        if parts.count != 1 { ans = PythonString.strip(parts[1]) }
        if let m = firstMatch(#"\(([A-Z])\)*"#, in: ans) { return m }
        if let m = firstMatch(#"([A-Z])"#, in: ans) { return m }
        return ans
    }

    /// `bbh_freeform_postprocess`: after the first "answer is ", its first line, one trailing "."
    /// removed, and the inside of the first **bold** span if any.
    public static func freeForm(_ text: String) -> String {
        var ans = text
        let parts = ans.components(separatedBy: "answer is ")
        if parts.count != 1 { ans = PythonString.strip(parts[1]) }
        ans = PythonString.strip(ans.components(separatedBy: "\n")[0])
        if ans.hasSuffix(".") { ans = PythonString.strip(String(ans.dropLast())) }
        if let m = firstMatch(#"\*\*(.*?)\*\*"#, in: ans) { return m }
        return ans
    }

    /// Option targets ("(X)", OpenCompass's `bbh_multiple_choice_sets`) compare both sides after
    /// `multipleChoice`; the rest (`bbh_free_form_sets`, `BBHEvaluator`) compare `freeForm(prediction)`
    /// with the target exactly.
    public static func score(generation: String, target: String) -> (extracted: String, correct: Bool) {
        if BBHAnswerMatcher.kind(of: target) == .option {
            let pred = multipleChoice(generation)
            return (pred, pred == multipleChoice(target))
        }
        let pred = freeForm(generation)
        return (pred, pred == target)
    }
}

public enum RLoRABBH {
    /// `extract_last_answer` over the decoded prompt + generation: the text after the last
    /// "Answer:", stripped. The prompt ends in "Answer:", so the generation alone gives the same
    /// text: its last "Answer:" if it wrote one, else all of it.
    public static func lastAnswer(_ generation: String) -> String {
        guard let r = generation.range(of: "Answer:", options: .backwards) else { return PythonString.strip(generation) }
        return PythonString.strip(String(generation[r.upperBound...]))
    }

    /// `accuracy_score` for one item. The kind comes from the target (R-LoRA's code takes it from
    /// the task's first target; every BBH task's targets share one kind).
    public static func score(generation: String, target: String) -> (extracted: String, correct: Bool) {
        let output = lastAnswer(generation)
        if isNumber(target) {
            guard let got = firstNumber(output), let want = Double(PythonString.strip(target)) else { return (output, false) }
            return (output, abs(got - want) <= 1e-9 * max(abs(got), abs(want)))
        }
        if isOptionFormat(target) {
            var pred = lastOption(output)
            if pred.isEmpty, !output.isEmpty, output.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(output) {
                let options = [0: "A", 1: "A", 2: "B", 3: "C", 4: "D", 5: "E", 6: "F", 7: "G", 8: "H"]
                pred = options[n] ?? pred
            }
            let a = normalized(pred), b = normalized(lastOption(target))
            return (a, a == b)
        }
        let a = normalized(output)
        return (a, a == normalized(target))
    }

    /// `s.strip().lower().replace(".", "")`.
    static func normalized(_ s: String) -> String { PythonString.strip(s).lowercased().replacingOccurrences(of: ".", with: "") }

    /// `is_number`: `^[-+]?(\d+|\d*\.\d+)$` on the stripped text.
    static func isNumber(_ s: String) -> Bool { firstMatch(#"^([-+]?(\d+|\d*\.\d+))$"#, in: PythonString.strip(s)) != nil }

    /// `extract_number_from_text`: the first `[-+]?\d*\.?\d+`.
    static func firstNumber(_ s: String) -> Double? { firstMatch(#"([-+]?\d*\.?\d+)"#, in: s).flatMap(Double.init) }

    static func isOptionFormat(_ s: String) -> Bool {
        firstMatch(#"\((\w)\)"#, in: s) != nil || firstMatch(#"\b([A-Z])\b"#, in: s) != nil
    }

    /// `extract_last_option`: the last "(x)" letter, else the last lone capital letter, else "".
    static func lastOption(_ s: String) -> String {
        if let m = allMatches(#"\((\w)\)"#, in: s).last { return m }
        if let m = allMatches(#"\b([A-Z])\b"#, in: s).last { return m }
        return ""
    }
}

/// Capture group 1 of the first match.
func firstMatch(_ pattern: String, in text: String) -> String? { allMatches(pattern, in: text, limit: 1).first }

/// Capture group 1 of every match, in order.
func allMatches(_ pattern: String, in text: String, limit: Int = .max) -> [String] {
    guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
    let ns = text as NSString
    var out: [String] = []
    for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
        let r = m.range(at: 1)
        out.append(r.location == NSNotFound ? "" : ns.substring(with: r))
        if out.count >= limit { break }
    }
    return out
}
