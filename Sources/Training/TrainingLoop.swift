import Foundation
import Engine
import Models
import Adapters

/// What one optimizer step of a method did.
public struct StepOutcome: Sendable {
    /// The step's headline loss (query loss for MeTA-LoRA / -STA, batch loss for the baselines).
    public var loss: Double
    /// Every loss point of the step (support, query, train).
    public var points: [LossCurvePoint]
    public var samples: Int
    public var tokens: Int
}

/// One method's training loop as the shared driver (`Trainer`) sees it: steps, the trainable
/// parameters with their optimizer, and the sampler state to checkpoint.
public protocol TrainingLoop: AnyObject {
    var method: TrainingMethod { get }
    var totalSteps: Int { get }
    /// The adapter evaluated and saved (MeTA-LoRA: the shared θ).
    var evaluationAdapter: any TrainableAdapter { get }
    /// Whether sequence groups carry task indices (task-conditioned adapters).
    var sequenceGroupsAreTasks: Bool { get }
    var optimizer: AdamW { get }
    /// Tensors saved as `param.<name>` in checkpoints.
    var checkpointParameters: [(name: String, value: Tensor)] { get }
    /// Runs optimizer step `step` (1-based).
    func runStep(_ step: Int) throws -> StepOutcome
    /// Sampler state after the steps run so far.
    func samplerState() -> (rng: SplitMix64?, batchesConsumed: Int?)
    /// Puts the sampler where it was after `step` steps (values and optimizer are restored separately).
    func restoreSampler(rng: SplitMix64?, batchesConsumed: Int?, step: Int) throws
}
