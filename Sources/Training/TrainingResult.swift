import Foundation

/// What a training run produced: the counts of Table 7, the held-out losses before and after,
/// where the adapter went, and the loss curve.
public struct TrainingResult: Codable, Equatable, Sendable {
    public var method: TrainingMethod
    public var optimizerSteps: Int
    public var samplesProcessed: Int
    public var tokensProcessed: Int
    public var wallSeconds: Double
    /// Mean over tasks of the token-mean loss on each task's fixed held-out set (outside the budget).
    public var initialEvalLoss: Double
    public var finalEvalLoss: Double
    /// Per-task final held-out losses, by task id.
    public var finalEvalLossByTask: [String: Double]
    /// The PEFT-layout adapter folder (nil for `base`).
    public var adapterPath: String?
    /// The loss-curve file (JSONL) next to the adapter.
    public var lossCurvePath: String?
    public var lossCurve: [LossCurvePoint]
    /// The resolved hyper-parameters and data record (prompt format, truncation, budgets).
    public var hyperParameters: TrainingHyperParameters
    public var record: [String: String]

    /// The one JSON line `metalora train --json` ends with. A non-finite loss (e.g. no response
    /// token survived truncation) is written as the string "nan"/"inf", as in the loss curve,
    /// because JSON has no number for it.
    public func toJSONLine() -> String {
        func loss(_ value: Double) -> Any {
            value.isFinite ? value : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
        }
        var object: [String: Any] = [
            "method": method.rawValue,
            "optimizer_steps": optimizerSteps,
            "samples_processed": samplesProcessed,
            "tokens_processed": tokensProcessed,
            "wall_s": (wallSeconds * 1000).rounded() / 1000,
            "initial_eval_loss": loss(initialEvalLoss),
            "final_eval_loss": loss(finalEvalLoss),
            "adapter": adapterPath ?? NSNull(),
        ]
        if let lossCurvePath { object["loss_curve"] = lossCurvePath }
        // A method's own entries (LoRAHub: its weights file and the upstream/search split).
        method.descriptor.hooks.resultJSON?(&object, record)
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
