import Foundation
import Models
import Adapters

/// Every knob of a training run, with the paper's defaults (section 4.1.3, appendix A.1.2).
/// Codable: the resolved value is written into every checkpoint and compared on resume.
public struct TrainingHyperParameters: Codable, Equatable, Sendable {
    // MeTA-LoRA (Algorithm 1).
    /// Meta-iterations (1,000 in the paper).
    public var iterations: Int = 1000
    /// n: tasks sampled per iteration (2).
    public var tasksPerIteration: Int = 2
    /// n_s: support-set size per task (8).
    public var supportSize: Int = 8
    /// n_q: query-set size per task (8).
    public var querySize: Int = 8
    /// k: plain-SGD adaptation steps on the support set (3); -STA uses 0.
    public var adaptationSteps: Int = 3
    /// α: adaptation learning rate, Eq. 3 (5e-6).
    public var alpha: Double = 5e-6
    /// β: meta-update (AdamW) learning rate, Eq. 5 (2e-6).
    public var beta: Double = 2e-6

    // Mixed-batch baselines (LoRA, HydraLoRA, R-LoRA, LoRA-MoE).
    /// Epochs over the mixed budget: 1 on full data, 5 at 50 per task, 10 at 100 per task.
    public var epochs: Int = 1
    /// AdamW learning rate of the baselines (2e-4).
    public var learningRate: Double = 2e-4
    /// Sequences per optimizer step (8).
    public var batchSize: Int = 8
    /// Cap on the baselines' optimizer steps (nil = epochs × batches per epoch); for quick runs.
    public var maxSteps: Int? = nil

    // LoRAHub (Huang et al. 2023): upstream LoRAs train with the baselines' knobs above.
    // Optional so checkpoints and results written before these existed still decode.
    /// `n_loras`: at most this many upstream LoRAs, one per training task, picked with the seed
    /// when the run has more tasks; nil = all tasks up to LoRAHub's 20 (`LoRAHubDefaults`).
    public var upstreamLoRAs: Int? = nil
    /// `search_steps`: evaluations of the composition search; nil = LoRAHub's 40.
    public var searchSteps: Int? = nil

    // Adapter.
    public var rank: Int = 16
    public var loraAlpha: Float = 32
    public var targets: [Projection] = [.q, .k, .v, .o]
    public var dropout: Float = 0

    // Shared.
    /// Examples per task drawn once from each pool (nil = the full pool).
    public var budgetPerTask: Int? = 50
    /// Tokens per sequence after truncation (512).
    public var maxLength: Int = 512
    public var seed: UInt64 = 0
    /// AdamW decoupled weight decay (0: PEFT trainers' usual choice for LoRA).
    public var weightDecay: Double = 0
    /// Linear warm-up steps of the AdamW rate (0 = constant rate, as Algorithm 1 states it).
    public var warmupSteps: Int = 0
    /// Decay the AdamW rate linearly to 0 after warm-up (off: constant rate).
    public var linearDecay: Bool = false
    /// Global-norm gradient clipping before the AdamW step (nil = none).
    public var gradientClip: Double? = nil
    /// Held-out examples per task scored for initial/final eval loss (outside the budget).
    public var evalExamplesPerTask: Int = 32
    /// Sequences per forward when scoring held-out sets.
    public var evalBatchSize: Int = 8
    /// Steps between checkpoints (0 = only at the end).
    public var checkpointEvery: Int = 50
    /// Steps between progress reports / loss-curve points.
    public var logEvery: Int = 1

    public init() {}

    /// The paper's settings for a method at a per-task budget (nil = full data).
    public static func defaults(for method: TrainingMethod, budgetPerTask: Int? = 50) -> TrainingHyperParameters {
        var h = TrainingHyperParameters()
        h.budgetPerTask = budgetPerTask
        switch method {
        case .sta:
            h.adaptationSteps = 0
        case .lora, .hydraLoRA, .rLoRA, .loraMoE, .loraHub:
            h.epochs = epochs(forBudget: budgetPerTask)
        case .metaLoRA, .base:
            break
        }
        return h
    }

    /// Appendix A.1.2: 1 epoch on full data, 5 epochs at 50 examples per task, 10 at 100.
    /// Other budgets scale like the paper's two points (≈ 500 examples seen per task).
    public static func epochs(forBudget budget: Int?) -> Int {
        guard let budget else { return 1 }
        switch budget {
        case 50: return 5
        case 100: return 10
        default: return max(1, Int((Double(budget) / 10).rounded()))
        }
    }

    public var loraConfig: LoRAConfig { LoRAConfig(rank: rank, alpha: loraAlpha, targets: targets, dropout: dropout) }

    /// Range checks that need no data (run before anything is loaded).
    public func validate(for method: TrainingMethod) throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw TrainingError.invalidHyperParameter(message()) }
        }
        // inf and NaN pass every "> 0" test below; an infinite rate turns the adapter into NaN.
        let reals: [(String, Double?)] = [("α (alpha)", alpha), ("β (beta)", beta), ("learning rate", learningRate),
                                          ("weight decay", weightDecay), ("gradient clip", gradientClip),
                                          ("LoRA alpha", Double(loraAlpha)), ("dropout", Double(dropout))]
        for case let (name, value?) in reals {
            try require(value.isFinite, "\(name) must be a finite number (got \(value))")
        }
        try require(rank > 0, "rank must be positive (got \(rank))")
        try require(!targets.isEmpty, "at least one target projection is needed")
        try require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1) (got \(dropout))")
        try require(maxLength > 1, "max length must be at least 2 (got \(maxLength))")
        try require(budgetPerTask.map { $0 > 0 } ?? true, "budget per task must be positive (got \(budgetPerTask ?? 0))")
        try require(evalExamplesPerTask >= 0 && evalBatchSize > 0, "eval examples must be ≥ 0 and eval batch size positive")
        try require(checkpointEvery >= 0 && logEvery > 0, "checkpoint/log intervals must be non-negative/positive")
        try require(weightDecay >= 0 && warmupSteps >= 0, "weight decay and warm-up must be non-negative")
        try require(gradientClip.map { $0 > 0 } ?? true, "gradient clip must be positive")
        if method.isEpisodic {
            try require(iterations > 0, "iterations must be positive (got \(iterations))")
            try require(tasksPerIteration > 0, "tasks per iteration must be positive (got \(tasksPerIteration))")
            try require(supportSize > 0 && querySize > 0, "support and query sizes must be positive (got \(supportSize), \(querySize))")
            try require(adaptationSteps >= 0, "adaptation steps must be ≥ 0 (got \(adaptationSteps))")
            try require(alpha >= 0 && beta > 0, "α must be ≥ 0 and β positive (got \(alpha), \(beta))")
            if let budget = budgetPerTask {
                try require(supportSize + querySize <= budget,
                            "support size \(supportSize) + query size \(querySize) = \(supportSize + querySize) is larger than the per-task budget \(budget); support and query sets must be disjoint subsets of the budget")
            }
        }
        // LoRAHub's upstream LoRAs train on the LoRA baseline's loop, so its knobs apply to them.
        if method.isMixedBatch || method == .loraHub {
            try require(epochs > 0, "epochs must be positive (got \(epochs))")
            try require(batchSize > 0, "batch size must be positive (got \(batchSize))")
            try require(learningRate > 0, "learning rate must be positive (got \(learningRate))")
        }
        if method == .loraHub {
            try require(upstreamLoRAs.map { $0 >= 1 } ?? true, "n_loras must be at least 1 (got \(upstreamLoRAs ?? 0))")
            try require(searchSteps.map { $0 >= 1 } ?? true, "search_steps must be at least 1 (got \(searchSteps ?? 0))")
        } else {
            try require(upstreamLoRAs == nil && searchSteps == nil, "n_loras and search_steps apply to lorahub only")
        }
    }
}
