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
