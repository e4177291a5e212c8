import Foundation
import Engine
import Models
import Adapters
import Data

/// MeTA-LoRA and -STA over a run's tasks: each iteration the episode sampler draws n tasks and
/// their disjoint support/query sets (Algorithm 1, lines 5 and 7), then `MetaLoRAStep` adapts
/// and updates θ. For -STA (k = 0) the support sets are drawn (same RNG stream) but not used.
public final class EpisodicLoop: TrainingLoop {
    public let method: TrainingMethod
    public let step: MetaLoRAStep
    public let sampler: EpisodeSampler
    public let tasks: TrainingTasks
    public let totalSteps: Int
    public private(set) var rng: SplitMix64
    public let evaluationAdapter: any TrainableAdapter
    public var sequenceGroupsAreTasks: Bool { false }
    public var optimizer: AdamW { step.optimizer }
    public var checkpointParameters: [(name: String, value: Tensor)] {
        step.theta.namedParameters.map { (name: $0.name, value: $0.value) }
    }

    /// θ is initialised like PEFT (A Kaiming-uniform, B = 0: Algorithm 1 line 2) from `seed`.
    public init(method: TrainingMethod, decoder: LlamaDecoder, tasks: TrainingTasks, hyper: TrainingHyperParameters,
                loop: MetaLoRALoop, plans: ActivationPlans) throws {
        precondition(method.isEpisodic, "EpisodicLoop runs meta-lora or sta")
        self.method = method
        self.tasks = tasks
        sampler = try EpisodeSampler(budgets: tasks.budgets, tasksPerIteration: hyper.tasksPerIteration,
                                     supportSize: hyper.supportSize, querySize: hyper.querySize)
        let theta = LoRAParameters(config: hyper.loraConfig, model: decoder.config)
        var initRNG = SplitMix64(seed: hyper.seed ^ TrainingSeeds.adapterInit)
        theta.initialiseLikePEFT(rng: &initRNG)
        step = MetaLoRAStep(decoder: decoder, theta: theta, tasksPerIteration: hyper.tasksPerIteration,
                            adaptationSteps: method.descriptor.loop == .episodic(adapts: false) ? 0 : hyper.adaptationSteps,
                            alpha: hyper.alpha, beta: hyper.beta, weightDecay: hyper.weightDecay, loop: loop,
                            gradientClip: hyper.gradientClip,
                            lossNormalization: LossNormalization(rawValue: hyper.lossNormalization) ?? .tokenMean, plans: plans)
        evaluationAdapter = LoRAAdapter(theta)
        totalSteps = hyper.iterations
        rng = SplitMix64(seed: hyper.seed ^ TrainingSeeds.episodes)
    }

    public func runStep(_ index: Int) throws -> StepOutcome {
        let episodes = sampler.nextIteration(rng: &rng)
        let support = episodes.map { BatchAssembly.batch([tasks.tokens($0.support)]) }
        let query = episodes.map { BatchAssembly.batch([tasks.tokens($0.query)]) }
        step.taskAdapter.dropoutSeed = rng.state ^ TrainingSeeds.dropout
        let stats = try step.iterate(supportBatches: support, queryBatches: query, step: index)
        var points: [LossCurvePoint] = []
        if let first = stats.supportLosses.first { points.append(LossCurvePoint(step: index, split: "support", loss: first)) }
        points.append(LossCurvePoint(step: index, split: "query", loss: stats.queryLoss))
        return StepOutcome(loss: stats.queryLoss, points: points, samples: stats.samples, tokens: stats.tokens)
    }

    public func samplerState() -> (rng: SplitMix64?, batchesConsumed: Int?) { (rng, nil) }

    public func restoreSampler(rng saved: SplitMix64?, batchesConsumed: Int?, step: Int) throws {
        guard let saved else { throw TrainingError.checkpointMismatch("the checkpoint has no episode-sampler state") }
        rng = saved
    }
}

/// Fixed offsets that separate the run seed's random streams (public: a run's adapter
/// initialisation can be reproduced from its seed alone).
public enum TrainingSeeds {
    public static let adapterInit: UInt64 = 0xA11C_E5EE_D000_0001
    static let episodes: UInt64 = 0xE715_0DE5_0000_0002
    static let batches: UInt64 = 0xBA7C_4E50_0000_0003
    static let dropout: UInt64 = 0xD209_0C70_0000_0004
    /// LoRAHub: which tasks get upstream LoRAs, which examples form the target, the CMA-ES stream.
    static let upstreamPick: UInt64 = 0x0B57_2EA3_0000_0005
    static let targetExamples: UInt64 = 0x7A26_E700_0000_0006
    static let compositionSearch: UInt64 = 0xC3A3_5EA2_0000_0007
}
