/// The three BBH prompt protocols (see `BBHDefinitions`).
public enum BBHPrompt {
    /// lm-eval `bbh_fewshot`: "{description}\n\n" + each "Q: …\nA: {answer}" + "\n\n" + "Q: {input}\nA:".
    public static func direct(prompt: BBHCoTPrompt, shots: Int, input: String) -> String {
        var s = prompt.description + "\n\n"
        for shot in prompt.answerOnlyExemplars().prefix(shots) { s += shot + "\n\n" }
        return s + "Q: \(input)\nA:"
    }

    /// lm-eval `bbh_cot_fewshot`: "{description}\n\n" + CoT shots each + "\n\n" +
    /// "Q: {input}\nA: Let's think step by step.\n".
    public static func chainOfThought(prompt: BBHCoTPrompt, shots: Int, input: String) -> String {
        var s = prompt.description + "\n\n"
        for shot in prompt.exemplars.prefix(shots) { s += shot + "\n\n" }
        return s + "Q: \(input)\nA: Let's think step by step.\n"
    }

    /// instruct-eval `bbh.py`: shots "{input}\nAnswer: {target}\n\n", then "{input}\nAnswer:".
    public static func instructEval(shots: [BBHExample], input: String) -> String {
        var s = ""
        for shot in shots { s += shot.input + "\nAnswer: " + shot.target + "\n\n" }
        return s + input + "\nAnswer:"
    }
}
