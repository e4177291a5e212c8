/// BIG-Bench Hard, 27 tasks, 3-shot, in the three protocols the field uses.
public enum BBHDefinitions {
    public static let tasks: [String] = [
        "boolean_expressions", "causal_judgement", "date_understanding", "disambiguation_qa",
        "dyck_languages", "formal_fallacies", "geometric_shapes", "hyperbaton",
        "logical_deduction_five_objects", "logical_deduction_seven_objects", "logical_deduction_three_objects",
        "movie_recommendation", "multistep_arithmetic_two", "navigate", "object_counting",
        "penguins_in_a_table", "reasoning_about_colored_objects", "ruin_names",
        "salient_translation_error_detection", "snarks", "sports_understanding", "temporal_sequences",
        "tracking_shuffled_objects_five_objects", "tracking_shuffled_objects_seven_objects",
        "tracking_shuffled_objects_three_objects", "web_of_lies", "word_sorting",
    ]

    public static let variants = ["direct", "cot", "instruct-eval"]

    /// lm-eval `bbh_fewshot` / `bbh_cot_fewshot` `generation_kwargs.until` (template version 2.0).
    /// Note "Q" (not "Q:"): lm-eval stops at any capital Q; copied as is.
    public static let lmEvalStopSequences = ["</s>", "Q", "\n\n"]

    public static func definition(variant: String) throws -> BenchmarkDefinition {
        switch variant {
        case "direct": return direct
        case "cot": return cot
        case "instruct-eval": return instructEval
        default: throw EvaluationError.unknownVariant(benchmark: "bbh", variant: variant, valid: variants)
        }
    }

    static func subsets(withPrompts: Bool) -> [SubsetSource] {
        tasks.map { SubsetSource(name: $0, path: "bbh/tasks/\($0).json",
                                 fewShotPath: withPrompts ? "bbh/cot-prompts/\($0).txt" : nil) }
    }

    static let sharedNotes = [
        "exact_match uses BBHAnswerMatcher: an option target '(X)' matches the last '(X)' in the answer; a numeric target matches the last number numerically; any other target matches the whole trimmed answer case-folded",
    ]

    public static var direct: BenchmarkDefinition {
        BenchmarkDefinition(
            name: "bbh", variant: "direct", version: "1",
            summary: "BBH 27 tasks, 3-shot answer-only exemplars from cot-prompts (lm-eval bbh_fewshot), greedy generation",
            format: .bbhJSON, split: "test", subsets: subsets(withPrompts: true),
            fewShot: FewShotSpec(source: .cotPromptAnswersOnly, defaultCount: 3,
                                 selection: "the cot-prompt exemplars in file order, each cut at \"Let's think step by step.\" and followed by its final answer (text after 'answer is ' minus the last character)"),
            template: .bbhFewshot, targetDelimiter: " ", fewshotDelimiter: "\n\n",
            choices: .generated,
            scoring: .generateUntil(stopSequences: lmEvalStopSequences, maxNewTokens: 256),
            answerExtraction: .bbhFinalAnswer, metrics: [.exactMatch],
            aggregation: AggregationSpec(primary: .micro,
                rationale: "exact_match = mean over items (lm-eval bbh group, weight_by_size true); exact_match_macro = mean over tasks"),
            knownGaps: [],
            notes: sharedNotes + ["max_new_tokens 256 is lm-eval's default max_gen_toks"])
    }

    public static var cot: BenchmarkDefinition {
        BenchmarkDefinition(
            name: "bbh", variant: "cot", version: "1",
            summary: "BBH 27 tasks, 3-shot chain-of-thought cot-prompts (lm-eval bbh_cot_fewshot), greedy generation",
            format: .bbhJSON, split: "test", subsets: subsets(withPrompts: true),
            fewShot: FewShotSpec(source: .cotPromptFull, defaultCount: 3,
                                 selection: "the cot-prompt exemplars verbatim, in file order"),
            template: .bbhCoT, targetDelimiter: "", fewshotDelimiter: "\n\n",
            choices: .generated,
            scoring: .generateUntil(stopSequences: lmEvalStopSequences, maxNewTokens: 1024),
            answerExtraction: .bbhAnswerIsPhrase, metrics: [.exactMatch],
            aggregation: AggregationSpec(primary: .micro,
                rationale: "exact_match = mean over items (lm-eval bbh group, weight_by_size true); exact_match_macro = mean over tasks"),
            knownGaps: [],
            notes: sharedNotes + ["lm-eval bbh_cot_fewshot: target_delimiter '', max_gen_toks 1024, filter regex (?<=the answer is )(.*)(?=.) take_first; no match scores as wrong"])
    }

    public static var instructEval: BenchmarkDefinition {
        BenchmarkDefinition(
            name: "bbh", variant: "instruct-eval", version: "1",
            summary: "BBH 27 tasks, first 3 items of each task as shots, scored on the rest (declare-lab instruct-eval bbh.py)",
            format: .bbhJSON, split: "test", subsets: subsets(withPrompts: false),
            fewShot: FewShotSpec(source: .leadingItems, defaultCount: 3,
                                 selection: "the first k items of the task file; only the remaining items are scored"),
            template: .instructEvalBBH, targetDelimiter: " ", fewshotDelimiter: "",
            choices: .generated,
            scoring: .generateUntil(stopSequences: [], maxNewTokens: 32),
            answerExtraction: .instructEvalPrefix, metrics: [.exactMatch],
            aggregation: AggregationSpec(primary: .macro,
                rationale: "exact_match = mean over tasks (instruct-eval prints the average of task scores); exact_match_micro = mean over items"),
            knownGaps: [],
            notes: ["instruct-eval: max_output_length 32, no stop strings, correct when pred.strip().startswith(target); its shot-dropping for prompts over 2048 tokens is not reproduced (backends must fit the prompt)",
                    "instruct-eval reads the HF copy lukaemon/bbh; its item order is assumed to be the official task files' order, which the mirror holds"])
    }
}
