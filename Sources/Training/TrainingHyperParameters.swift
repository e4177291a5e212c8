import Foundation
import Models
import Adapters

/// Every knob of a training run. Each field is one hyper-parameter key in camelCase (`max_seq_len`
/// → `maxSeqLen`): the methods' descriptors (`Methods/`) give the keys their defaults, ranges and
/// sources, and `setting(_:)` fills the fields from keys mechanically.
/// Codable: the resolved value is written into every checkpoint and compared on resume.
public struct TrainingHyperParameters: Codable, Equatable, Sendable {
    // MeTA-LoRA (Algorithm 1).
    public var iterations: Int = 1000
    public var tasksPerIteration: Int = 2
    public var supportSize: Int = 8
    public var querySize: Int = 8
    public var adaptationSteps: Int = 3
    public var alpha: Double = 5e-6
    public var beta: Double = 2e-6
    /// Algorithm 1's meta-optimizer (Eq. 5): AdamW is the only one implemented.
    public var metaOptimizer: String = "adamw"
    /// How Eq. 4 and Eq. 6 average the support/query loss: `example_mean` (1/n_s Σ over examples of
    /// each example's token mean, as the equations read) or `token_mean` (over all labelled tokens).
    public var lossNormalization: String = LossNormalization.tokenMean.rawValue

    // Mixed-batch baselines (LoRA, HydraLoRA, R-LoRA, LoRA-MoE) and LoRAHub's upstream LoRAs.
    public var epochs: Int = 1
    public var lr: Double = 2e-4
    public var batchSize: Int = 8
    /// Cap on the baselines' optimizer steps (nil = epochs × batches per epoch); for quick runs.
    public var maxSteps: Int? = nil
    /// `constant`, `linear` (decay to 0 after warm-up) or `cosine` (half cosine to 0 after warm-up).
    public var lrScheduler: String = "constant"
    /// Warm-up as a fraction of the run's optimizer steps (used when `warmupSteps` is 0).
    public var warmupRatio: Double = 0

    // LoRAHub (Huang et al. 2023).
    /// At most this many upstream LoRAs (nil = all tasks up to LoRAHub's 20).
    public var nLoras: Int? = nil
    /// Evaluations of the composition search (nil = LoRAHub's 40).
    public var searchSteps: Int? = nil
    /// The search objective's loss (`LoRAHubSearchLoss`).
    public var searchLoss: String = LoRAHubSearchLoss.tokenMean.rawValue

    // Multi-head baselines.
    /// HydraLoRA's number of B matrices (nil = one per training task).
    public var loraNums: Int? = nil
    /// R-LoRA's number of heads (nil = one per training task).
    public var heads: Int? = nil
    /// R-LoRA's multi-head dropout.
    public var headDropout: Float = 0.05
    /// R-LoRA's "stable" initial scale γ (A and B heads times r^¼/√γ).
    public var stableGamma: Double = 64
    /// LoRA-MoE's experts (the rank is split across them).
    public var experts: Int = 4

    // Adapter.
    public var rank: Int = 16
    public var loraAlpha: Float = 32
    public var targets: [Projection] = [.q, .k, .v, .o]
    public var dropout: Float = 0

    // Shared.
    /// Examples per task drawn once from each pool (nil = the full pool); set from the budget.
    public var budgetPerTask: Int? = 50
    public var maxSeqLen: Int = 512
    public var seed: UInt64 = 0
    public var weightDecay: Double = 0
    /// Linear warm-up steps of the AdamW rate (0 = none, or `warmupRatio`).
    public var warmupSteps: Int = 0
    /// Global-norm gradient clipping before the AdamW step (nil = none).
    public var gradientClip: Double? = nil
    public var evalExamplesPerTask: Int = 32
    public var evalBatchSize: Int = 8
    public var checkpointEvery: Int = 50
    public var logEvery: Int = 1

    public init() {}

    /// A method's resolved defaults at a per-task budget (nil = full data), from its descriptor.
    public static func defaults(for method: TrainingMethod, budgetPerTask: Int? = 50) -> TrainingHyperParameters {
        (try? method.descriptor.resolve([:], budgetPerTask: budgetPerTask)) ?? {
            var h = TrainingHyperParameters(); h.budgetPerTask = budgetPerTask; return h
        }()
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

    // MARK: keys ↔ fields

    static func keyEncoder() -> JSONEncoder {
        let e = JSONEncoder(); e.keyEncodingStrategy = .convertToSnakeCase; return e
    }

    /// The fields as key → value (snake_case keys, the stored and spec spelling).
    public var keyedValues: [String: Any] {
        let data = try! TrainingHyperParameters.keyEncoder().encode(self)
        return (try! JSONSerialization.jsonObject(with: data)) as! [String: Any]
    }

    /// One field's value by key (the field named by the key in camelCase), nil when unset or not a key.
    public func value(_ key: String) -> HyperValue? {
        let field = HyperParameter.camelCase(key)
        guard let child = Mirror(reflecting: self).children.first(where: { $0.label == field }) else { return nil }
        func plain(_ v: Any) -> HyperValue? {
            switch v {
            case let x as Int: return .int(x)
            case let x as UInt64: return .int(Int(truncatingIfNeeded: x))
            case let x as Double: return .number(x)
            case let x as Float: return .number(Double(String(x)) ?? Double(x))
            case let x as String: return .string(x)
            case let x as Bool: return .bool(x)
            case let x as [Projection]: return .strings(x.map { String($0.rawValue.dropLast("_proj".count)) })
            default: return nil
            }
        }
        let m = Mirror(reflecting: child.value)
        if m.displayStyle == .optional { return m.children.first.flatMap { plain($0.value) } }
        return plain(child.value)
    }

    /// The defaults with `values` set, field by field (key `max_seq_len` sets `maxSeqLen`).
    /// `targets` takes short projection names (q, k, v, o, gate, up, down); a head count of
    /// `tasks` means one per training task.
    public static func setting(_ values: [String: HyperValue]) throws -> TrainingHyperParameters {
        var object = TrainingHyperParameters().keyedValues
        for (key, value) in values {
            guard object.keys.contains(key) || optionalKeys.contains(key) else {
                throw TrainingError.invalidHyperParameter("'\(key)' names no training field")
            }
            switch value {
            case .int(let v): object[key] = v
            case .number(let v): object[key] = v
            case .bool(let v): object[key] = v
            case .string(let v): object[key] = v == "tasks" && headCountKeys.contains(key) ? NSNull() : v.lowercased()
            case .strings(let names):
                guard key == "targets" else { object[key] = names; break }
                object[key] = try names.map { name -> String in
                    guard let p = Projection(name: name) else {
                        throw TrainingError.invalidHyperParameter("targets: unknown projection '\(name)' (q, k, v, o, gate, up, down)")
                    }
                    return p.rawValue
                }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        let decoder = JSONDecoder(); decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(TrainingHyperParameters.self, from: data) } catch {
            throw TrainingError.invalidHyperParameter("\(values): \(error)")
        }
    }

    /// Optional fields: absent from `keyedValues` while nil.
    static let optionalKeys: Set<String> = ["max_steps", "n_loras", "search_steps", "lora_nums", "heads", "gradient_clip", "budget_per_task"]
    static let headCountKeys: Set<String> = ["lora_nums", "heads"]

    // MARK: decoding (checkpoints written before a field existed still decode, with its default)

    enum LegacyKeys: String, CodingKey { case learningRate, maxLength, upstreamLoRAs, linearDecay }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        var h = TrainingHyperParameters()
        func v<T: Decodable>(_ key: CodingKeys, _ into: inout T) throws { if let x = try c.decodeIfPresent(T.self, forKey: key) { into = x } }
        func o<T: Decodable>(_ key: CodingKeys, _ into: inout T?) throws { into = try c.decodeIfPresent(T.self, forKey: key) }
        try v(.iterations, &h.iterations); try v(.tasksPerIteration, &h.tasksPerIteration)
        try v(.supportSize, &h.supportSize); try v(.querySize, &h.querySize); try v(.adaptationSteps, &h.adaptationSteps)
        try v(.alpha, &h.alpha); try v(.beta, &h.beta); try v(.metaOptimizer, &h.metaOptimizer)
        try v(.lossNormalization, &h.lossNormalization)
        try v(.epochs, &h.epochs); try v(.lr, &h.lr); try v(.batchSize, &h.batchSize); try o(.maxSteps, &h.maxSteps)
        try v(.lrScheduler, &h.lrScheduler); try v(.warmupRatio, &h.warmupRatio)
        try o(.nLoras, &h.nLoras); try o(.searchSteps, &h.searchSteps); try v(.searchLoss, &h.searchLoss)
        try o(.loraNums, &h.loraNums); try o(.heads, &h.heads); try v(.headDropout, &h.headDropout); try v(.stableGamma, &h.stableGamma); try v(.experts, &h.experts)
        try v(.rank, &h.rank); try v(.loraAlpha, &h.loraAlpha); try v(.targets, &h.targets); try v(.dropout, &h.dropout)
        try o(.budgetPerTask, &h.budgetPerTask); try v(.maxSeqLen, &h.maxSeqLen); try v(.seed, &h.seed)
        try v(.weightDecay, &h.weightDecay); try v(.warmupSteps, &h.warmupSteps); try o(.gradientClip, &h.gradientClip)
        try v(.evalExamplesPerTask, &h.evalExamplesPerTask); try v(.evalBatchSize, &h.evalBatchSize)
        try v(.checkpointEvery, &h.checkpointEvery); try v(.logEvery, &h.logEvery)
        // Field names of checkpoints written before each knob had one name.
        if let x = try legacy.decodeIfPresent(Double.self, forKey: .learningRate) { h.lr = x }
        if let x = try legacy.decodeIfPresent(Int.self, forKey: .maxLength) { h.maxSeqLen = x }
        if let x = try legacy.decodeIfPresent(Int.self, forKey: .upstreamLoRAs) { h.nLoras = x }
        if try legacy.decodeIfPresent(Bool.self, forKey: .linearDecay) == true { h.lrScheduler = "linear" }
        self = h
    }

    /// Range checks that need no data (run before anything is loaded); the per-key ranges come
    /// from the method's descriptor, these are the ones across keys.
    /// `againstBudget` false leaves out the support + query ≤ budget check: planning resolves cells
    /// on profiles whose budget cap may be below n_s + n_q, and the run refuses such a cell.
    public func validate(for method: TrainingMethod, againstBudget: Bool = true) throws {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw TrainingError.invalidHyperParameter(message()) }
        }
        // inf and NaN pass every range test; an infinite rate turns the adapter into NaN. Checked for
        // every real field, also those the method's descriptor does not list.
        let reals: [(String, Double?)] = [("α (alpha)", alpha), ("β (beta)", beta), ("learning rate", lr),
                                          ("weight decay", weightDecay), ("gradient clip", gradientClip),
                                          ("LoRA alpha", Double(loraAlpha)), ("dropout", Double(dropout))]
        for case let (name, value?) in reals {
            try require(value.isFinite, "\(name) must be a finite number (got \(value))")
        }
        for p in method.descriptor.hyperParameters {
            if let value = value(p.key) { try p.check(value) }
        }
        try require(budgetPerTask.map { $0 > 0 } ?? true, "budget per task must be positive (got \(budgetPerTask ?? 0))")
        if againstBudget, method.isEpisodic, let budget = budgetPerTask {
            try require(supportSize + querySize <= budget,
                        "support size \(supportSize) + query size \(querySize) = \(supportSize + querySize) is larger than the per-task budget \(budget); support and query sets must be disjoint subsets of the budget")
        }
    }
}

/// Eq. 4 / Eq. 6's average over a support or query set.
public enum LossNormalization: String, CaseIterable, Sendable {
    /// (1/n) Σ_examples (token mean of the example): the equations as written.
    case exampleMean = "example_mean"
    /// Σ nll over all labelled tokens / their count (HF's batch convention).
    case tokenMean = "token_mean"
}
