import Foundation
import Engine
import Data

/// LoRAHub's fixed choices (Huang et al. 2023, "LoraHub: Efficient Cross-Task Generalization via
/// Dynamic LoRA Composition", §3 and the defaults of their `lorahub_learning`): up to 20 upstream
/// LoRAs (the MeTA-LoRA paper, §4.1: "20 randomly selected LoRAs"), 5 target examples, a budget of
/// 40 evaluations, weights in [−1.5, 1.5], L1 regulariser 0.05 · mean|w|.
public enum LoRAHubDefaults {
    public static let maxUpstreamLoRAs = 20
    public static let searchSteps = 40
    public static let targetExamples = 5
    public static let l1 = 0.05
    public static let bounds: ClosedRange<Float> = -1.5...1.5

    /// The upstream tasks of a run: all of `taskIDs` when there are at most `limit` (default 20),
    /// otherwise `limit` of them drawn with the run seed. Returned in the run's task order, so the
    /// weight vector lines up with a stable task list.
    public static func upstreamTasks(_ taskIDs: [String], limit: Int?, seed: UInt64) -> [String] {
        let k = min(limit ?? maxUpstreamLoRAs, taskIDs.count)
        guard k < taskIDs.count else { return taskIDs }
        var rng = SplitMix64(seed: seed ^ TrainingSeeds.upstreamPick)
        return Sampling.choose(k, from: taskIDs.count, rng: &rng).sorted().map { taskIDs[$0] }
    }

    /// The CMA-ES seed of one composition: the run seed and the target's name, so every target of a
    /// run (each BBH task, MMLU subject, …) gets its own reproducible stream.
    public static func searchSeed(run seed: UInt64, target: String) -> UInt64 {
        seed ^ TrainingSeeds.compositionSearch ^ Sampling.stableHash(target)
    }
}
