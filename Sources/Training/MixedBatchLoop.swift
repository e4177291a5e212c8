import Foundation
import Engine
import Models
import Adapters
import Data

/// The baselines' loop (LoRA; HydraLoRA, R-LoRA and LoRA-MoE bring their adapters in their descriptors, `Methods/`):
/// one adapter, all tasks' budget examples mixed and reshuffled every epoch, batches of
/// `batchSize` (8), one AdamW step per batch at `lr` (2e-4), for `epochs` epochs
/// (appendix A.1.2). Works with any `TrainableAdapter`.
public final class MixedBatchLoop: TrainingLoop {
    public let method: TrainingMethod
    public let decoder: LlamaDecoder
    public let adapter: any TrainableAdapter
    public let tasks: TrainingTasks
    public let hyper: TrainingHyperParameters
    public let optimizer: AdamW
    public let sequenceGroupsAreTasks: Bool
    public let totalSteps: Int
    /// The rate multiplier before step `index - 1` (nil = constant rate).
    let schedule: ((Int) -> Double)?
    let plans: ActivationPlans
    var batches: MixedTaskBatches
    var batchesConsumed = 0

    public var evaluationAdapter: any TrainableAdapter { adapter }
    public var checkpointParameters: [(name: String, value: Tensor)] { adapter.namedParameters.map { (name: $0.name, value: $0.value) } }

    /// - Parameter sequenceGroupsAreTasks: give each sequence its task index as sequence group
    ///   (LoRA-MoE's task-conditioned gate); otherwise every sequence is group 0.
    public init(method: TrainingMethod, decoder: LlamaDecoder, adapter: any TrainableAdapter, tasks: TrainingTasks,
                hyper: TrainingHyperParameters, sequenceGroupsAreTasks: Bool = false, plans: ActivationPlans) throws {
        self.method = method
        self.decoder = decoder
        self.adapter = adapter
        self.tasks = tasks
        self.hyper = hyper
        self.sequenceGroupsAreTasks = sequenceGroupsAreTasks
        self.plans = plans
        let parameters = adapter.namedParameters.map { Parameter(name: $0.name, value: $0.value, grad: $0.grad) }
        optimizer = AdamW(groups: [ParameterGroup(name: adapter.kind, parameters: parameters, lr: hyper.lr,
                                                  weightDecay: hyper.weightDecay)])
        batches = try MixedTaskBatches(examples: tasks.budgets.flatMap(\.examples), batchSize: hyper.batchSize,
                                       epochs: hyper.epochs, seed: hyper.seed ^ TrainingSeeds.batches)
        totalSteps = min(batches.batchesPerEpoch * hyper.epochs, hyper.maxSteps ?? Int.max)
        schedule = MixedBatchLoop.schedule(hyper, totalSteps: totalSteps)
    }

    /// `lr_scheduler` after `warmup_steps` (or ⌈warmup_ratio × steps⌉, as transformers counts it).
    static func schedule(_ hyper: TrainingHyperParameters, totalSteps: Int) -> ((Int) -> Double)? {
        let warmup = hyper.warmupSteps > 0 ? hyper.warmupSteps : Int((hyper.warmupRatio * Double(totalSteps)).rounded(.up))
        switch hyper.lrScheduler {
        case "cosine":
            let s = CosineWarmupDecaySchedule(warmupSteps: warmup, totalSteps: totalSteps)
            return { s.factor(step: $0) }
        case "linear":
            let s = LinearWarmupDecaySchedule(warmupSteps: warmup, totalSteps: totalSteps)
            return { s.factor(step: $0) }
        default:
            guard warmup > 0 else { return nil }
            let s = LinearWarmupDecaySchedule(warmupSteps: warmup, totalSteps: Int.max / 2)
            return { s.factor(step: $0) }
        }
    }

    public func runStep(_ index: Int) throws -> StepOutcome {
        guard let examples = batches.next() else { preconditionFailure("MixedBatchLoop: batch stream ended before step \(index)") }
        batchesConsumed += 1
        let groups = examples.map { sequenceGroupsAreTasks ? tasks.taskIndex($0.task) : 0 }
        var batch = BatchAssembly.batch([tasks.tokens(examples)])
        batch.sequenceGroups = groups

        // LoRA dropout and R-LoRA's multi-head dropout: fresh masks each step, reproducible on resume.
        if let seeded = adapter as? DropoutSeeded { seeded.dropoutSeed = hyper.seed ^ TrainingSeeds.dropout &+ UInt64(index) }
        let saved = decoder.adapter
        decoder.adapter = adapter
        defer { decoder.adapter = saved }
        adapter.zeroGradients()
        // The batch's token-mean loss (HF convention), as PEFT/transformers trainers use.
        let result = try decoder.lossAndGradients(batch, plans.activations(for: batch, backward: true))
        guard result.validCount > 0 else { throw TrainingError.noAnswerTokens(step: index, phase: "train") }
        guard result.meanNLL.isFinite else { throw TrainingError.nonFiniteLoss(step: index, phase: "train", loss: result.meanNLL) }
        if let bad = FiniteCheck.firstNonFinite(adapter.namedParameters.map { (name: "grad.\($0.name)", tensor: $0.grad) }) {
            throw TrainingError.nonFinite(step: index, tensor: bad.tensorName, value: bad.value)
        }
        if let clip = hyper.gradientClip { GradientClipping.clip(adapter.namedParameters.map(\.grad), maxNorm: clip) }
        if let schedule {
            let f = schedule(index - 1)
            for g in optimizer.groups { g.lr = g.baseLR * f }
        }
        optimizer.step()
        return StepOutcome(loss: result.meanNLL, points: [LossCurvePoint(step: index, split: "train", loss: result.meanNLL)],
                           samples: batch.batch, tokens: BatchAssembly.realTokens(batch))
    }

    public func samplerState() -> (rng: SplitMix64?, batchesConsumed: Int?) { (nil, batchesConsumed) }

    /// The batch stream is a pure function of the seed: replay it to the saved position.
    public func restoreSampler(rng: SplitMix64?, batchesConsumed consumed: Int?, step: Int) throws {
        guard let consumed else { throw TrainingError.checkpointMismatch("the checkpoint has no batch position") }
        batches = try MixedTaskBatches(examples: tasks.budgets.flatMap(\.examples), batchSize: hyper.batchSize,
                                       epochs: hyper.epochs, seed: hyper.seed ^ TrainingSeeds.batches)
        for _ in 0..<consumed { _ = batches.next() }
        batchesConsumed = consumed
    }
}
