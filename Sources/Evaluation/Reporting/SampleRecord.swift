import Foundation

/// One scored item, as written to the per-sample JSONL file (and kept by the results store).
public struct SampleRecord: Sendable, Codable, Equatable {
    public var benchmark: String
    public var variant: String?
    public var subset: String
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

    public init(benchmark: String, variant: String?, subset: String, promptId: String, gold: Int?, target: String?,
                choiceLoglikelihoods: [Double]?, choiceIsGreedy: [Bool]?, pred: Int?, predNorm: Int?,
                generated: String?, extractedAnswer: String?, correct: Bool, correctNorm: Bool?) {
        self.benchmark = benchmark; self.variant = variant; self.subset = subset; self.promptId = promptId
        self.gold = gold; self.target = target; self.choiceLoglikelihoods = choiceLoglikelihoods
        self.choiceIsGreedy = choiceIsGreedy; self.pred = pred; self.predNorm = predNorm; self.generated = generated
        self.extractedAnswer = extractedAnswer; self.correct = correct; self.correctNorm = correctNorm
    }

    enum CodingKeys: String, CodingKey {
        case benchmark, variant, subset, gold, target, pred, generated, correct
        case promptId = "prompt_id", choiceLoglikelihoods = "choice_loglikelihoods", choiceIsGreedy = "choice_is_greedy"
        case predNorm = "pred_norm", extractedAnswer = "extracted_answer", correctNorm = "correct_norm"
    }
}

public enum SampleRecordWriter {
    /// One JSON object per line, keys sorted, in evaluation order.
    public static func jsonLines(_ records: [SampleRecord]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for r in records {
            out.append(try encoder.encode(r))
            out.append(0x0A)
        }
        return out
    }

    public static func write(_ records: [SampleRecord], to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try jsonLines(records).write(to: url, options: .atomic)
    }
}
