import Foundation
import Engine
import Models
import Adapters

/// A training method as one value: what it is, which knobs it has (with the paper's and its
/// authors' values), which loop trains it, which adapter it trains and saves, how much data it
/// consumes, and any hooks it needs. The trainer, the harness (spec schema, plan, config hash,
/// deviations), the CLI (flags and `--help`) and the adapter loader all read it.
public struct MethodDescriptor: Sendable {
    public let name: String
    /// Where the method comes from, e.g. "Tian et al. 2024 (HydraLoRA); MeTA-LoRA appendix A.1.2".
    public let paperReference: String
    public let summary: String
    public let loop: MethodLoop
    /// The adapter a mixed-batch method trains (nil: the episodic loop trains one plain LoRA θ).
    public let adapter: MethodAdapter?
    /// The kind written to `adapter_config.json` by a trained run (nil: nothing is saved).
    public let savedKind: String?
    public let consumption: DataConsumption
    public let hyperParameters: [HyperParameter]
    /// Keys a spec entry must state (the science the paper fixes for it).
    public let requiredInSpec: [String]
    /// Fixed choices that are not keys, each with its reason (printed in the deviation block).
    public let declarations: [MethodDeclaration]
    /// True when the config hash records every default of this method, so a changed default
    /// gives new cells; false for methods whose defaults predate hashing them (their spec keys
    /// alone are hashed, and a test pins those defaults).
    public let hashesDefaults: Bool
    public let hooks: MethodHooks

    public init(name: String, paperReference: String, summary: String, loop: MethodLoop, adapter: MethodAdapter? = nil,
                savedKind: String?, consumption: DataConsumption, hyperParameters: [HyperParameter],
                requiredInSpec: [String] = [], declarations: [MethodDeclaration] = [], hashesDefaults: Bool,
                hooks: MethodHooks = MethodHooks()) {
        self.name = name; self.paperReference = paperReference; self.summary = summary; self.loop = loop
        self.adapter = adapter; self.savedKind = savedKind; self.consumption = consumption
        self.hyperParameters = hyperParameters; self.requiredInSpec = requiredInSpec; self.declarations = declarations
        self.hashesDefaults = hashesDefaults; self.hooks = hooks
    }

    public var method: TrainingMethod { TrainingMethod(self) }
    public func parameter(_ key: String) -> HyperParameter? { hyperParameters.first { $0.key == key } }

    /// Resolves a run's hyper-parameters: the descriptor's defaults, then the budget-derived
    /// epochs, then `explicit` (spec, grid, profile or CLI), each checked against the schema.
    public func resolve(_ explicit: [String: HyperValue], budgetPerTask: Int?, seed: UInt64 = 0,
                        checkingBudget: Bool = true) throws -> TrainingHyperParameters {
        var values: [String: HyperValue] = [:]
        for p in hyperParameters { if let d = p.defaultValue { values[p.key] = d } }
        if parameter("epochs") != nil { values["epochs"] = .int(TrainingHyperParameters.epochs(forBudget: budgetPerTask)) }
        for (key, value) in explicit {
            guard let p = parameter(key) else {
                throw TrainingError.invalidHyperParameter(
                    "\(name) has no hyper-parameter '\(key)'; its keys: \(hyperParameters.map(\.key).joined(separator: ", "))")
            }
            try p.check(value)
            values[key] = value
        }
        var h = try TrainingHyperParameters.setting(values)
        h.budgetPerTask = budgetPerTask
        h.seed = seed
        try hooks.resolve?(&h, explicit)
        try h.validate(for: method, againstBudget: checkingBudget)
        return h
    }

    /// The defaults as hashed config entries (only for methods with `hashesDefaults`).
    public var hashedDefaults: [String: HyperValue] {
        guard hashesDefaults else { return [:] }
        var out: [String: HyperValue] = [:]
        for p in hyperParameters { if let d = p.defaultValue { out[p.key] = d } }
        return out
    }
}

/// Which loop trains a method.
public enum MethodLoop: Sendable, Equatable {
    /// Nothing is trained (the base model).
    case none
    /// Algorithm 1's support/query episodes; `adapts` false is -STA (k = 0).
    case episodic(adapts: Bool)
    /// One adapter on shuffled mixed-task batches (appendix A.1.2).
    case mixedBatch
    /// The method's own driver (`MethodHooks.train`).
    case custom

    public var isEpisodic: Bool { if case .episodic = self { return true }; return false }
}

/// The adapter a mixed-batch method trains, built for a model, the run's hyper-parameters and
/// its number of tasks, initialised from `rng`.
public struct MethodAdapter: Sendable {
    public let make: @Sendable (_ model: LlamaConfig, _ hyper: TrainingHyperParameters, _ taskCount: Int,
                                _ rng: inout SplitMix64) throws -> any TrainableAdapter
    /// True when sequences carry their task index as sequence group (LoRA-MoE's task gate).
    public let sequenceGroupsAreTasks: Bool
    public init(sequenceGroupsAreTasks: Bool = false,
                make: @escaping @Sendable (LlamaConfig, TrainingHyperParameters, Int, inout SplitMix64) throws -> any TrainableAdapter) {
        self.make = make; self.sequenceGroupsAreTasks = sequenceGroupsAreTasks
    }
}

/// What a method trains on and the number of training samples and optimizer steps plan reports.
public struct DataConsumption: Sendable {
    public enum Source: String, Sendable { case budget, fullData = "full data", none }
    /// What the paper gives it: a per-task budget (MeTA-LoRA) or the full data (baselines).
    public let paperSource: Source
    /// The sample count as the paper states it, e.g. "iterations × n × (k·n_s + n_q)".
    public let formula: String
    public let estimate: @Sendable (ConsumptionInput) -> (samples: Int, steps: Int)
    public init(paperSource: Source, formula: String, estimate: @escaping @Sendable (ConsumptionInput) -> (samples: Int, steps: Int)) {
        self.paperSource = paperSource; self.formula = formula; self.estimate = estimate
    }

    public static let none = DataConsumption(paperSource: .none, formula: "no training") { _ in (0, 0) }

    /// epochs × examples, in batches of batch_size (appendix A.1.2; Table 7's LoRA column).
    public static func epochs(paperSource: Source = .fullData) -> DataConsumption {
        DataConsumption(paperSource: paperSource, formula: "epochs × examples; steps = epochs × ⌈examples / batch_size⌉") { input in
            let examples = input.examples(tasks: input.taskCount)
            let epochs = input.int("epochs") ?? 1, batch = max(1, input.int("batch_size") ?? 1)
            return (epochs * examples, epochs * ((examples + batch - 1) / batch))
        }
    }
}

/// The resolved values and data sizes a consumption formula reads.
public struct ConsumptionInput {
    public let hyper: TrainingHyperParameters
    public let taskCount: Int
    /// Examples per task (nil = full pools).
    public let perTask: Int?
    /// Full-data examples over all tasks.
    public let fullPool: Int

    public init(hyper: TrainingHyperParameters, taskCount: Int, perTask: Int?, fullPool: Int) {
        self.hyper = hyper; self.taskCount = taskCount; self.perTask = perTask; self.fullPool = fullPool
    }
    /// A resolved value by key (ints only).
    public func int(_ key: String) -> Int? { hyper.value(key)?.intValue }
    /// Training examples of `tasks` of the run's tasks.
    public func examples(tasks: Int) -> Int { perTask.map { $0 * tasks } ?? fullPool * tasks / max(1, taskCount) }
}

/// A fixed choice of a method that is no key, e.g. how LoRA-MoE routes tasks it never saw.
public struct MethodDeclaration: Sendable, Equatable {
    public let topic: String
    public let ours: String
    /// What the paper or the authors do instead, if they differ (nil: nothing to compare).
    public let reference: SourcedValue?
    public let reason: String
    public init(topic: String, ours: String, reference: SourcedValue? = nil, reason: String) {
        self.topic = topic; self.ours = ours; self.reference = reference; self.reason = reason
    }
}

/// Optional behaviour a method adds to the shared driver.
public struct MethodHooks: Sendable {
    /// Trains the method with its own driver (loop `.custom`), instead of the shared step loop.
    public var train: (@Sendable (_ decoder: LlamaDecoder, _ tasks: TrainingTasks, _ hyper: TrainingHyperParameters,
                                  _ options: TrainingOptions, _ record: [String: String], _ plans: ActivationPlans) throws -> TrainingResult)?
    /// Checks the number of training tasks before any data is read.
    public var checkTaskCount: (@Sendable (Int) throws -> Void)?
    /// Adjusts resolved hyper-parameters from the explicit ones (e.g. a value that names 'tasks').
    public var resolve: (@Sendable (inout TrainingHyperParameters, [String: HyperValue]) throws -> Void)?
    /// Extra entries of `metalora train --json`'s line, from the run record.
    public var resultJSON: (@Sendable (_ object: inout [String: Any], _ record: [String: String]) -> Void)?
    /// The harness composes one adapter per evaluated subset (LoRAHub) instead of evaluating one.
    public var composesPerSubset = false

    public init() {}
}
