import Foundation
import Engine
import Models
import Adapters

/// `meta_lora_iteration_s` for `metalora bench`: wall time of one MeTA-LoRA iteration at the
/// paper's defaults (n = 2, k = 3, n_s = n_q = 8, rank 16 on q/k/v/o) with synthetic
/// `seqLen`-token sequences (the second half labelled), for the sequential and the batched loop.
public enum MetaLoRABenchmark {
    public struct Timing: Sendable, Equatable {
        public var sequentialSeconds: Double
        public var batchedSeconds: Double
    }

    /// One warm-up iteration per loop (plans the activations), then `repeats` timed ones; the
    /// fastest is reported. The decoder's adapter is left as it was.
    public static func iterationSeconds(decoder: LlamaDecoder, seqLen: Int = 256, tasksPerIteration: Int = 2,
                                        setSize: Int = 8, adaptationSteps: Int = 3, repeats: Int = 1,
                                        seed: UInt64 = 3) throws -> Timing {
        var rng = SplitMix64(seed: seed)
        let vocabulary = decoder.config.vocabularySize
        func batch() -> TokenBatch {
            let ids = (0..<setSize).map { _ in (0..<seqLen).map { _ in Int(rng.next() % UInt64(vocabulary)) } }
            let labels = ids.map { row in row.enumerated().map { $0.offset < seqLen / 2 ? -100 : $0.element } }
            return TokenBatch(inputIds: ids, attentionMask: nil, labels: labels)
        }
        let support = (0..<tasksPerIteration).map { _ in batch() }
        let query = (0..<tasksPerIteration).map { _ in batch() }
        let theta = LoRAParameters(config: LoRAConfig(), model: decoder.config)
        theta.initialiseLikePEFT(rng: &rng)
        var best: [MetaLoRALoop: Double] = [:]
        for loop in [MetaLoRALoop.sequential, .batched] {
            let step = MetaLoRAStep(decoder: decoder, theta: theta, tasksPerIteration: tasksPerIteration,
                                    adaptationSteps: adaptationSteps, alpha: 5e-6, beta: 2e-6, loop: loop)
            try step.iterate(supportBatches: support, queryBatches: query)
            for _ in 0..<max(1, repeats) {
                let start = Date()
                try step.iterate(supportBatches: support, queryBatches: query)
                let elapsed = Date().timeIntervalSince(start)
                best[loop] = min(best[loop] ?? .infinity, elapsed)
            }
        }
        return Timing(sequentialSeconds: best[.sequential]!, batchedSeconds: best[.batched]!)
    }
}
