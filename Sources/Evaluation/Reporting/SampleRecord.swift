import Foundation

/// One scored item: what the per-sample log (`LMEvalSampleLog`) writes and the results store keeps.
public struct SampleRecord: Sendable, Equatable {
    public var benchmark: String
    public var variant: String?
    public var subset: String
    /// Our item id, "{subset}/{row}": the row's 1-based starting line in its source file (the CSV
    /// header counted) or, for BBH, its 0-based position in the task's examples.
    public var promptId: String
    /// Gold choice index (log-likelihood benchmarks).
    public var gold: Int?
    /// Target string (generation benchmarks).
    public var target: String?
    public var choiceLoglikelihoods: [Double]?
    public var choiceIsGreedy: [Bool]?
    /// The acc pick (argmax raw log-likelihood) and the acc_norm pick.
    public var pred: Int?
    public var predNorm: Int?
    public var generated: String?
    public var extractedAnswer: String?
    public var correct: Bool
    public var correctNorm: Bool?
    /// lm-eval's `doc_id`, `doc` and target (`doc_to_target`: the gold index for multiple choice,
    /// the shared continuation for partial scoring, the answer string for generation).
    public var docId: Int = 0
    public var doc: PythonJSON = .object([])
    public var lmEvalTarget: String = ""
    /// Each backend request's arguments in lm-eval's order: (context, continuation) for
    /// log-likelihood, (context, generation kwargs) for generation.
    public var arguments: [[PythonJSON]] = []
    /// The definition's metric names (acc, acc_norm, exact_match), in its order.
    public var metricNames: [String] = []
    /// lm-eval's `filter`: "none", or the answer-extraction rule that turned the generation into
    /// the scored answer (`filtered_resps`).
    public var filterName: String = "none"

    public init(benchmark: String, variant: String?, subset: String, promptId: String, gold: Int?, target: String?,
                choiceLoglikelihoods: [Double]?, choiceIsGreedy: [Bool]?, pred: Int?, predNorm: Int?,
                generated: String?, extractedAnswer: String?, correct: Bool, correctNorm: Bool?) {
        self.benchmark = benchmark; self.variant = variant; self.subset = subset; self.promptId = promptId
        self.gold = gold; self.target = target; self.choiceLoglikelihoods = choiceLoglikelihoods
        self.choiceIsGreedy = choiceIsGreedy; self.pred = pred; self.predNorm = predNorm; self.generated = generated
        self.extractedAnswer = extractedAnswer; self.correct = correct; self.correctNorm = correctNorm
    }

    /// The value lm-eval's `process_results` gives a metric for this item (1.0 or 0.0).
    public func metricValue(_ name: String) -> Double? {
        switch name {
        case "acc", "exact_match": return correct ? 1 : 0
        case "acc_norm": return correctNorm.map { $0 ? 1 : 0 }
        default: return nil
        }
    }
}
