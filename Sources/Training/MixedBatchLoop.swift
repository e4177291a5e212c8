import Foundation
import Engine
import Models
import Adapters
import Data

/// The baselines' loop (LoRA; HydraLoRA, R-LoRA and LoRA-MoE plug in through `MethodRegistry`):
/// one adapter, all tasks' budget examples mixed and reshuffled every epoch, batches of
/// `batchSize` (8), one AdamW step per batch at `learningRate` (2e-4), for `epochs` epochs
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
    let schedule: LinearWarmupDecaySchedule?
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
        optimizer = AdamW(groups: [ParameterGroup(name: adapter.kind, parameters: parameters, lr: hyper.learningRate,
                                                  weightDecay: hyper.weightDecay)])
        batches = try MixedTaskBatches(examples: tasks.budgets.flatMap(\.examples), batchSize: hyper.batchSize,
                                       epochs: hyper.epochs, seed: hyper.seed ^ TrainingSeeds.batches)
        totalSteps = min(batches.batchesPerEpoch * hyper.epochs, hyper.maxSteps ?? Int.max)
        if hyper.warmupSteps > 0 || hyper.linearDecay {
            schedule = LinearWarmupDecaySchedule(warmupSteps: hyper.warmupSteps,
                                                 totalSteps: hyper.linearDecay ? totalSteps : Int.max / 2)
        } else {
            schedule = nil
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
        if let schedule { schedule.apply(to: optimizer.groups, step: index - 1) }
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
