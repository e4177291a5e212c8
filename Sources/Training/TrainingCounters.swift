import Foundation

/// Table 7's counts of what the loop actually did (incremented by the loops, never computed
/// from a formula): optimizer steps, sequences run forward+backward, their real tokens, wall time.
public struct TrainingCounters: Codable, Equatable, Sendable {
    public var optimizerSteps = 0
    public var samplesProcessed = 0
    public var tokensProcessed = 0
    /// Training wall time in seconds (summed over resumed segments; evaluation excluded).
    public var wallSeconds = 0.0
    public init() {}
}

/// One point of the loss curve.
public struct LossCurvePoint: Codable, Equatable, Sendable {
    /// Optimizer step (1-based) after which the loss was measured.
    public var step: Int
    /// "support" (MeTA-LoRA: support loss at θ before adaptation), "query" (the meta objective,
    /// Eq. 6), "train" (mixed-batch baselines, LoRAHub's upstream LoRAs), "eval" (held-out) or
    /// "search" (LoRAHub's composition objective; step = evaluation number).
    public var split: String
    public var loss: Double
    public init(step: Int, split: String, loss: Double) { self.step = step; self.split = split; self.loss = loss }
}

/// Progress of a running training, reported after every `logEvery` steps.
public struct TrainingProgress: Sendable {
    public var method: TrainingMethod
    public var step: Int
    public var totalSteps: Int
    /// The step's training loss (query loss for MeTA-LoRA / -STA).
    public var loss: Double
    public var tokensPerSecond: Double
    public var etaSeconds: Double
    /// What a step is when it is not an optimizer step (LoRAHub's "search" evaluations).
    public var phase: String = "step"

    /// One human-readable line: `meta-lora  step 12/1000  loss 2.3456  1234 tok/s  ETA 5m03s`.
    public var line: String {
        let eta = Int(etaSeconds.rounded())
        let etaText = eta >= 3600 ? "\(eta / 3600)h\(String(format: "%02d", eta % 3600 / 60))m"
            : "\(eta / 60)m\(String(format: "%02d", eta % 60))s"
        return "\(method.rawValue)  \(phase) \(step)/\(totalSteps)  loss \(String(format: "%.4f", loss))  "
            + "\(String(format: "%.0f", tokensPerSecond)) tok/s  ETA \(etaText)"
    }

    /// A progress callback printing `line` to stderr.
    public static let stderrPrinter: @Sendable (TrainingProgress) -> Void = { progress in
        FileHandle.standardError.write((progress.line + "\n").data(using: .utf8)!)
    }
}
