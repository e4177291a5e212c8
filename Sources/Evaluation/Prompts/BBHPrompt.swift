/// The BBH prompt protocols (Benchmarks/bbh-*.yaml).
public enum BBHPrompt {
    /// An entry of the task file's `examples` array, as lm-eval's `lukaemon/bbh` rows hold it.
    public static func doc(_ ex: BBHExample) -> PythonJSON {
        .object([("input", .string(ex.input)), ("target", .string(ex.target))])
    }

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

    /// OpenCompass `bbh_gen_5b92b0`: "Follow the given examples and answer the question.\n" + the
    /// prompt file's text (description and CoT shots joined by blank lines) + "\n\nQ: {input}\nA: Let's think step by step.".
    public static func openCompass(prompt: BBHCoTPrompt, shots: Int, input: String) -> String {
        let hint = ([prompt.description] + prompt.exemplars.prefix(shots)).joined(separator: "\n\n")
        return "Follow the given examples and answer the question.\n" + hint + "\n\nQ: \(input)\nA: Let's think step by step."
    }

    /// R-LoRA `eval_bbh.py` `evaluate_few_shot`: its instruction line, then LoRAHub's data_bbh
    /// context (shots included) with every "Q:" as "question:" and every "A:" as "Answer:".
    public static func rlora(context: String) -> String {
        "I will give you three examples, please answer the last question based on them.\n"
            + context.replacingOccurrences(of: "Q:", with: "question:").replacingOccurrences(of: "A:", with: "Answer:")
    }

    /// R-LoRA's target: the data_bbh completion with every "A:" as "\nAnswer:".
    public static func rloraTarget(completion: String) -> String {
        completion.replacingOccurrences(of: "A:", with: "\nAnswer:")
    }

    /// instruct-eval `bbh.py`: shots "{input}\nAnswer: {target}\n\n", then "{input}\nAnswer:".
    public static func instructEval(shots: [BBHExample], input: String) -> String {
        var s = ""
        for shot in shots { s += shot.input + "\nAnswer: " + shot.target + "\n\n" }
        return s + input + "\nAnswer:"
    }
}
