import Foundation
import struct Data.DataDirectory

/// A benchmark as data: where its items come from, how each becomes model requests, how the
/// answers are scored and averaged, and what of the paper's protocol the data mirror cannot
/// reproduce. Each is read from one YAML file of `Benchmarks/` (see `BenchmarkCatalog`); the
/// `Evaluator` interprets these values, and nothing benchmark-specific is hidden in branches
/// elsewhere except the per-format template code named by `template`.
public struct BenchmarkDefinition: Sendable, Codable, Equatable {
    /// CLI name ("mmlu", "bbh", …).
    public var name: String
    /// Protocol variant when a benchmark has several (BBH: direct, cot, instruct-eval, opencompass, rlora).
    public var variant: String?
    /// Bumped whenever anything that can change a score changes (template, data, scoring).
    public var version: String
    public var summary: String
    /// The protocol's origin: the harness or repository file whose conventions this follows.
    public var source: String?
    /// The headline metric's expected value for a model that guesses uniformly, under this
    /// definition's aggregation: what a table's chance row shows.
    public var chance: Double
    public var chanceRationale: String
    public var format: DataFormat
    /// The evaluated split as named by the mirror ("test", "eval").
    public var split: String
    /// Subjects / tasks / languages, each with its data file(s), in report order.
    public var subsets: [SubsetSource]
    public var fewShot: FewShotSpec
    public var template: PromptTemplate
    /// Placed between a context and each continuation (lm-eval `target_delimiter`).
    public var targetDelimiter: String
    /// Placed between consecutive shots (lm-eval `fewshot_delimiter`).
    public var fewshotDelimiter: String
    public var choices: ChoiceSpec
    public var scoring: ScoringRule
    public var answerExtraction: AnswerExtraction
    public var metrics: [Metric]
    public var aggregation: AggregationSpec
    /// Reasons the mirror cannot reproduce the paper's setting; non-empty ⇒ reports are partial.
    public var knownGaps: [KnownGap]
    /// Data beyond the mirror's usual files that this protocol needs, with where to get it; a run
    /// without it fails naming the path (`missingData(in:)`).
    public var requiredData: [RequiredData]
    /// Provenance of conventions and choices made where no canonical source exists.
    public var notes: [String]

    public func subset(named name: String) -> SubsetSource? { subsets.first { $0.name == name } }

    /// "bbh (rlora)" or "mmlu": how messages name the definition.
    public var label: String { name + (variant.map { " (\($0))" } ?? "") }

    /// The required data the directory lacks.
    public func missingData(in data: DataDirectory) -> [RequiredData] {
        requiredData.filter { !FileManager.default.fileExists(atPath: data.url($0.path).path) }
    }
}

/// A file or folder a protocol needs that the mirror may not hold.
public struct RequiredData: Sendable, Codable, Equatable {
    /// Relative to the data directory.
    public var path: String
    public var reason: String
    /// Where it can be had, for `data fetch` or by hand.
    public var fetch: String
}

public enum DataFormat: String, Sendable, Codable, Equatable {
    /// `mmlu/{dev,test}/<subject>_{dev,test}.csv`, header `question,choice0..choice3,answer`, answer 0–3.
    case mmluCSV
    /// `bbh/tasks/<task>.json` `{"examples":[{"input","target"}]}` + `bbh/cot-prompts/<task>.txt`.
    case bbhJSON
    /// `xcopa/<lang>/test.<lang>.jsonl` `{"premise","choice1","choice2","question","label"}`.
    case xcopaJSONL
    /// `xstorycloze/<lang>_eval.jsonl` `{"input_sentence_1..4","sentence_quiz1/2","answer_right_ending"}`.
    case xstoryclozeJSONL
    /// `xwinograd/dataset.tsv` (Tikhonov & Ryabinin), one row per schema, filtered by language.
    case xwinogradTSV
    /// `exams/multilingual/test.jsonl`, filtered by `info.language`.
    case examsJSONL
    /// LoRAHub's `data_bbh/<task>/few_shot.jsonl`: `{"context","completion"}`, shots inside the context.
    case lorahubBBHJSONL
    /// A training task's held-out examples (never in any budget), built by the caller that knows
    /// the training data and the prompt format (the harness) and passed in `EvaluationOptions.suppliedItems`.
    case trainingHeldOut
}

/// One subject/task/language: the item file (relative to the data directory), an optional few-shot
/// file, and for shared files the value of the row field that selects this subset.
public struct SubsetSource: Sendable, Codable, Equatable {
    public var name: String
    public var path: String
    public var fewShotPath: String?
    /// Shared-file formats (XWinograd TSV `lang` column, EXAMS `info.language`): rows whose field equals this.
    public var rowFilter: String?
    /// Values the template reads for this subset (XCOPA: the `cause` and `effect` connectors).
    public var parameters: [String: String]
    public init(name: String, path: String, fewShotPath: String? = nil, rowFilter: String? = nil, parameters: [String: String] = [:]) {
        self.name = name; self.path = path; self.fewShotPath = fewShotPath; self.rowFilter = rowFilter; self.parameters = parameters
    }
}

public struct FewShotSpec: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable, Equatable {
        /// Zero-shot benchmark: `--shots` other than 0 is an error.
        case none
        /// The first k rows, in file order, of the subset's `fewShotPath` (MMLU dev split; lm-eval `first_n`).
        case fewShotSplitFirstN
        /// The exemplars of `bbh/cot-prompts/<task>.txt` with only their final answers (lm-eval `bbh_fewshot`).
        case cotPromptAnswersOnly
        /// The exemplars of `bbh/cot-prompts/<task>.txt` verbatim, with their reasoning (lm-eval `bbh_cot_fewshot`).
        case cotPromptFull
        /// The first k items of the evaluated file; scoring uses the remaining items (instruct-eval `bbh.py`).
        case leadingItems
        /// The shots are already part of each item's prompt in the data file (LoRAHub `data_bbh`).
        case embeddedInPrompt
    }
    public var source: Source
    public var defaultCount: Int
    public var selection: String
}

/// The prompt construction each format uses, with the exact strings documented for the report.
public enum PromptTemplate: String, Sendable, Codable, Equatable {
    /// description "The following are multiple choice questions (with answers) about {subject}.\n\n";
    /// item `question.strip() + "\nA. {c0}\nB. {c1}\nC. {c2}\nD. {c3}\nAnswer:"`; shot + " {letter}\n\n".
    case mmlu
    /// description line + "\n\n" + shots "Q: {input}\nA: {answer}" each followed by "\n\n" + "Q: {input}\nA:".
    case bbhFewshot
    /// description line + "\n\n" + verbatim CoT shots joined by "\n\n" + "\n\nQ: {input}\nA: Let's think step by step.\n".
    case bbhCoT
    /// shots "{input}\nAnswer: {target}\n\n" + "{input}\nAnswer:" (no description).
    case instructEvalBBH
    /// `premise.strip()[:-1] + " " + connector[question]`; choices lower-cased first character.
    case xcopa
    /// the four sentences joined by single spaces; choices the two endings.
    case xstorycloze
    /// partial scoring: contexts `sentence[:i] + option`, shared continuation `sentence[i+1:].strip()`.
    case winogradPartial
    /// "Q: {stem}\nA:"; choices the choice texts.
    case questionAnswer
    /// OpenCompass `bbh_gen_5b92b0`: "Follow the given examples and answer the question.\n" +
    /// description + "\n\n" + CoT shots joined by "\n\n" + "\n\nQ: {input}\nA: Let's think step by step.".
    case openCompassBBH
    /// R-LoRA `eval_bbh.py`: "I will give you three examples, please answer the last question based on them.\n"
    /// + data_bbh context with "Q:" → "question:", "A:" → "Answer:".
    case rloraDataBBH
    /// The prompt the model was trained on (its chat template or Alpaca) up to the response; choices
    /// the task's option texts, scored as the response.
    case trainingPrompt

    public var text: String {
        switch self {
        case .mmlu: return "description 'The following are multiple choice questions (with answers) about {subject}.\\n\\n'; item '{question.strip()}\\nA. {c0}\\nB. {c1}\\nC. {c2}\\nD. {c3}\\nAnswer:'; shot + ' {letter}\\n\\n'"
        case .bbhFewshot: return "'{description}\\n\\n' + shots 'Q: {input}\\nA: {final answer}\\n\\n' + 'Q: {input}\\nA:'"
        case .bbhCoT: return "'{description}\\n\\n' + CoT shots joined by '\\n\\n' + '\\n\\nQ: {input}\\nA: Let's think step by step.\\n'"
        case .instructEvalBBH: return "shots '{input}\\nAnswer: {target}\\n\\n' + '{input}\\nAnswer:'"
        case .xcopa: return "premise.strip()[:-1] + ' ' + connector[cause|effect]; choices ' ' + choice[0].lower() + choice[1:]"
        case .xstorycloze: return "' '.join(input_sentence_1..4); choices ' ' + sentence_quiz1|2"
        case .winogradPartial: return "contexts sentence[:i] + option (i = index of '_'); continuation ' ' + sentence[i+1:].strip()"
        case .questionAnswer: return "'Q: {stem}\\nA:'; choices ' ' + choice text"
        case .openCompassBBH: return "'Follow the given examples and answer the question.\\n{description}\\n\\n' + CoT shots joined by '\\n\\n' + '\\n\\nQ: {input}\\nA: Let's think step by step.'"
        case .trainingPrompt: return "the training prompt format (chat template or Alpaca) of instruction + input, up to the response; choices the option texts"
        case .rloraDataBBH: return "'I will give you three examples, please answer the last question based on them.\\n' + context.replace('Q:', 'question:').replace('A:', 'Answer:')"
        }
    }
}

public enum ChoiceSpec: Sendable, Codable, Equatable {
    /// Fixed answer strings scored after the target delimiter (MMLU " A"… " D").
    case letters([String])
    /// The item's own choices, optionally with the first character lower-cased (XCOPA).
    case itemChoices(lowercaseFirstCharacter: Bool)
    /// Winograd: one context per option, the choice is the context.
    case contextOptions
    /// Generation benchmarks: no choices.
    case generated
}

public enum ScoringRule: Sendable, Codable, Equatable {
    /// Sum of continuation token log-probs per choice; prediction = argmax (first index on ties).
    case loglikelihood
    /// Log-likelihood of one shared continuation after each option's context (lm-eval "multiple input").
    case partialLoglikelihood
    /// Greedy generation until a stop sequence or the token budget (lm-eval `generate_until`).
    case generateUntil(stopSequences: [String], maxNewTokens: Int)

    public var label: String {
        switch self {
        case .loglikelihood: return "loglikelihood"
        case .partialLoglikelihood: return "partial_loglikelihood"
        case .generateUntil(let stops, let n): return "generate_until(until=\(stops.map(\.debugDescription).joined(separator: ",")), max_new_tokens=\(n))"
        }
    }
}

public enum AnswerExtraction: String, Sendable, Codable, Equatable {
    /// Log-likelihood benchmarks: the answer is the argmax choice.
    case none
    /// The whole (trimmed) generation, compared by `BBHAnswerMatcher`.
    case bbhFinalAnswer
    /// The text after the first "the answer is " up to the line's last character (lm-eval CoT regex
    /// `(?<=the answer is )(.*)(?=.)`, take_first), then compared by `BBHAnswerMatcher`.
    case bbhAnswerIsPhrase
    /// instruct-eval `bbh.py`: correct when `pred.strip().startswith(target)`.
    case instructEvalPrefix
    /// OpenCompass `bbh_mcq_postprocess` on both sides for option targets, else
    /// `bbh_freeform_postprocess` on the prediction compared exactly with the target.
    case openCompassBBH
    /// R-LoRA `extract_last_answer` then `accuracy_score` (number, option or text, by the target).
    case rloraLastAnswer
}

public enum Metric: String, Sendable, Codable, Equatable {
    /// argmax of the raw summed log-likelihood equals gold.
    case acc
    /// argmax of log-likelihood / len(choice) in code points equals gold (lm-eval `acc_norm`).
    case accNorm = "acc_norm"
    /// extracted answer matches the target (BBH).
    case exactMatch = "exact_match"
}

public struct AggregationSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, Equatable {
        /// Mean over all items of all subsets (each question weighs the same).
        case micro
        /// Mean over subsets of the per-subset means (each subject/task/language weighs the same).
        case macro
    }
    /// Which average is the headline `acc` of the report; both are always reported.
    public var primary: Kind
    public var rationale: String
}

public struct KnownGap: Sendable, Codable, Equatable {
    /// The subset affected, or nil for the whole benchmark.
    public var subset: String?
    public var reason: String
    public init(subset: String?, reason: String) { self.subset = subset; self.reason = reason }
}
