import Foundation
import Models
import Data

/// The `initial_eval_loss` / `final_eval_loss` of a run: for each task, the token-mean loss on its
/// fixed held-out examples (drawn from the pool outside the budget); then the mean over tasks.
public enum HeldOutLoss {
    public struct Measurement: Sendable, Equatable {
        /// Mean over tasks (tasks without held-out tokens are skipped).
        public var mean: Double
        /// Per task, in task order (nil when the task had no scored tokens).
        public var perTask: [Double?]
    }

    /// Scores every held-out example with the decoder's current adapter (no dropout, no backward).
    /// `taskGroups`: sequence groups carry the task index (task-conditioned adapters such as
    /// LoRA-MoE); otherwise every sequence is group 0.
    public static func measure(_ decoder: LlamaDecoder, heldOut: [[TokenizedExample]], batchSize: Int,
                               plans: ActivationPlans, taskGroups: Bool = false) throws -> Measurement {
        var perTask: [Double?] = []
        for (task, examples) in heldOut.enumerated() {
            var sum = 0.0, count = 0
            var start = 0
            while start < examples.count {
                let chunk = Array(examples[start..<min(start + batchSize, examples.count)])
                start += batchSize
                var batch = BatchAssembly.batch([chunk])
                batch.sequenceGroups = [Int](repeating: taskGroups ? task : 0, count: batch.batch)
                let result = try decoder.lossAndGradients(batch, plans.activations(for: batch, backward: false),
                                                          backward: false, training: false)
                sum += result.sumNLL; count += result.validCount
            }
            perTask.append(count > 0 ? sum / Double(count) : nil)
        }
        let scored = perTask.compactMap { $0 }
        return Measurement(mean: scored.isEmpty ? .nan : scored.reduce(0, +) / Double(scored.count), perTask: perTask)
    }
}
