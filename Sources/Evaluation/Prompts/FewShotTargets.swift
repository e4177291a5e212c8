import struct Data.DataDirectory
/// A benchmark prompt with its gold answer, to learn from rather than to score: LoRAHub's target
/// examples for one subset (Huang et al. 2023 search their combination weights on a few examples
/// of the target task).
public struct AnsweredPrompt: Sendable, Equatable {
    /// Where the example comes from, e.g. "anatomy/dev:2", "navigate/cot-prompt:1", "navigate/0".
    public var id: String
    /// The subset's zero-shot prompt for the example, in the benchmark's own template.
    public var context: String
    /// The gold answer as the evaluator would score it as a continuation (target delimiter included).
    public var answer: String
}

/// A subset's few-shot source as answered prompts — the examples a benchmark already sets aside
/// from its scored items, so a method that learns from them never sees a scored item:
///
/// - MMLU: the subject's dev rows (first N, file order), answered " {letter}".
/// - BBH direct / cot: the cot-prompt exemplars; direct answers " {final answer}", cot answers the
///   exemplar's reasoning ending in "So the answer is …".
/// - BBH instruct-eval: the task's leading `shots` items (only the items after them are scored),
///   answered " {target}".
/// - Zero-shot benchmarks (XCOPA, XStoryCloze, XWinograd, EXAMS) declare no few-shot source: refused.
///
/// Each is rendered with zero in-context shots (LoRAHub learns from input → output pairs, not from
/// demonstrations), in the template the subset is scored with.
public enum FewShotTargets {
    /// Up to `count` answered prompts of `subset`, in source order. `shots` is the evaluation's
    /// shot count (nil = the definition's default); it bounds BBH instruct-eval's unscored items.
    public static func examples(_ def: BenchmarkDefinition, subset name: String, shots: Int?, count: Int,
                                data: DataDirectory) throws -> [AnsweredPrompt] {
        guard let source = def.subset(named: name) else {
            throw EvaluationError.unknownSubset(benchmark: def.name, subset: name, valid: def.subsets.map(\.name))
        }
        switch def.template {
        case .mmlu:
            guard let path = source.fewShotPath else { throw EvaluationError.invalidOption("\(def.name)/\(name): no few-shot file") }
            return try MMLULoader.load(path, in: data).prefix(count).map { row in
                let item = MMLUPrompt.item(subject: name, shots: [], row: row, targetDelimiter: def.targetDelimiter,
                                           fewshotDelimiter: def.fewshotDelimiter)
                guard case .multipleChoice(let context, let continuations, _, let gold) = item.task else {
                    preconditionFailure("MMLU items are multiple choice")
                }
                return AnsweredPrompt(id: "\(name)/dev:\(row.line)", context: context, answer: continuations[gold])
            }

        case .bbhFewshot, .bbhCoT, .openCompassBBH:
            guard let path = source.fewShotPath else { throw EvaluationError.invalidOption("\(def.name)/\(name): no cot-prompt file") }
            let prompt = try BBHLoader.loadPrompt(path, in: data)
            return try prompt.exemplars.prefix(count).enumerated().map { i, shot in
                // "Q: {input}\nA: " | "Let's think step by step." | "\n{reasoning} So the answer is X."
                let parts = shot.components(separatedBy: BBHCoTPrompt.cotMarker)
                let question = parts[0]
                let id = "\(name)/cot-prompt:\(i + 1)"
                if def.template == .bbhCoT || def.template == .openCompassBBH {
                    let reasoning = parts.dropFirst().joined(separator: BBHCoTPrompt.cotMarker)
                    if def.template == .openCompassBBH {
                        return AnsweredPrompt(id: id, context: "Follow the given examples and answer the question.\n" + prompt.description + "\n\n" + question + BBHCoTPrompt.cotMarker,
                                              answer: def.targetDelimiter + reasoning)
                    }
                    return AnsweredPrompt(id: id, context: prompt.description + "\n\n" + question + BBHCoTPrompt.cotMarker + "\n",
                                          answer: def.targetDelimiter + (reasoning.hasPrefix("\n") ? String(reasoning.dropFirst()) : reasoning))
                }
                guard let answer = BBHCoTPrompt.finalAnswer(of: shot) else {
                    throw EvaluationError.malformedRow(file: path, location: "exemplar \(i + 1)", field: nil, reason: "no final answer")
                }
                let context = question.hasSuffix(" ") ? String(question.dropLast()) : question
                return AnsweredPrompt(id: id, context: prompt.description + "\n\n" + context, answer: def.targetDelimiter + answer)
            }

        case .instructEvalBBH:
            let leading = shots ?? def.fewShot.defaultCount
            return try BBHLoader.loadTask(source.path, in: data).prefix(min(leading, count)).map { ex in
                AnsweredPrompt(id: "\(name)/\(ex.index)", context: BBHPrompt.instructEval(shots: [], input: ex.input),
                               answer: def.targetDelimiter + ex.target)
            }

        case .rloraDataBBH:
            throw EvaluationError.invalidOption("\(def.label) holds its shots inside each scored item's context, so it has no examples "
                                                + "outside its scored items to learn a per-\(name) composition from")

        case .xcopa, .xstorycloze, .winogradPartial, .questionAnswer, .trainingPrompt:
            throw EvaluationError.invalidOption("\(def.name) is zero-shot and declares no few-shot source, so it has no examples "
                                                + "outside its scored items to learn a per-\(name) composition from")
        }
    }

    /// The source `examples` reads for a definition, for the stored evaluation settings.
    public static func sourceDescription(_ def: BenchmarkDefinition) -> String {
        switch def.template {
        case .mmlu: return "the subject's dev rows (mmlu/dev), zero-shot MMLU prompt, answer ' {letter}'"
        case .bbhFewshot: return "the task's cot-prompt exemplars, zero-shot 'Q: … A:' prompt, answer ' {final answer}'"
        case .bbhCoT: return "the task's cot-prompt exemplars, zero-shot CoT prompt, answer = the exemplar's reasoning and final answer"
        case .instructEvalBBH: return "the task's leading (unscored) shot items, zero-shot '{input}\\nAnswer:' prompt, answer ' {target}'"
        case .openCompassBBH: return "the task's cot-prompt exemplars, zero-shot OpenCompass prompt, answer = the exemplar's reasoning and final answer"
        case .rloraDataBBH: return "none (the shots are inside each scored item)"
        case .xcopa, .xstorycloze, .winogradPartial, .questionAnswer, .trainingPrompt: return "none (zero-shot benchmark)"
        }
    }
}
