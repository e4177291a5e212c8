import Foundation
import Engine
import Models
import Adapters
import Data

/// Stage 2 of LoRAHub: the gradient-free search of the combination weights for one target.
///
/// objective(w) = mean causal-LM loss of the composed adapter (A = Σ w_k A_k, B = Σ w_k B_k, as
/// LoRAHub composes) over the answer tokens of the target examples (labels −100 on the prompt),
/// + 0.05 · mean_k |w_k|, minimised by CMA-ES (`LoRAHub.search`) with `searchSteps` evaluations,
/// the first at w = 0 (the base model), every candidate clipped to [−1.5, 1.5], seeded.
public enum CompositionSearch {
    public struct Outcome {
        /// The best weights, one per upstream LoRA in the order given.
        public let weights: [Float]
        /// objective(w) at the best weights (target loss + L1 term).
        public let objective: Double
        /// Mean answer-token loss at the best weights (no penalty).
        public let targetLoss: Double
        /// Mean answer-token loss at w = 0, i.e. of the base model (the search's first evaluation).
        public let baseLoss: Double
        /// Every evaluation in order: weights and objective value.
        public let history: [LoRAHub.Evaluation]
        /// The composed adapter at the best weights.
        public let composed: LoRAParameters
        /// Forward passes over the target set run by the search (= `history.count`).
        public var evaluations: Int { history.count }
        /// Sequences and real tokens those forward passes processed (no backward pass).
        public let samples: Int
        public let tokens: Int
        public let wallSeconds: Double
    }

    /// Searches the weights of `upstream` for `targets`, leaving the decoder's adapter as it was.
    /// `composed` (optional) is the buffer the candidates are composed into and the result lives in.
    public static func run(decoder: LlamaDecoder, upstream: [LoRAParameters], targets: [TokenizedExample],
                           searchSteps: Int = LoRAHubDefaults.searchSteps, seed: UInt64, plans: ActivationPlans? = nil,
                           batchSize: Int = 8, loss lossKind: LoRAHubSearchLoss = .tokenMean, into composed: LoRAParameters? = nil,
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> Outcome {
        guard !upstream.isEmpty else { throw TrainingError.invalidHyperParameter("LoRAHub needs at least one upstream LoRA") }
        guard searchSteps >= 1 else { throw TrainingError.invalidHyperParameter("search_steps must be at least 1 (got \(searchSteps))") }
        guard targets.contains(where: { $0.responseTokenCount > 0 }) else {
            throw TrainingError.invalidHyperParameter("the \(targets.count) LoRAHub target example(s) have no answer tokens (empty, or lost to truncation)")
        }
        let plans = plans ?? ActivationPlans(config: decoder.config)
        let buffer = composed ?? LoRAParameters(config: upstream[0].config, model: decoder.config)
        let adapter = LoRAAdapter(buffer)
        // The authors' objective runs the targets in batches of 5 (reproduce_bbh.py:89).
        let batchSize = lossKind == .perExample ? LoRAHubDefaults.targetExamples : batchSize
        let batches = stride(from: 0, to: targets.count, by: batchSize).map {
            BatchAssembly.batch([Array(targets[$0..<min($0 + batchSize, targets.count)])])
        }
        let saved = decoder.adapter
        decoder.adapter = adapter
        defer { decoder.adapter = saved }

        let start = Date()
        var losses: [Double] = []
        var samples = 0, tokens = 0
        let result = try LoRAHub.search(upstreamCount: upstream.count, budget: searchSteps, bounds: LoRAHubDefaults.bounds,
                                        l1: LoRAHubDefaults.l1, seed: seed) { weights in
            LoRAHub.compose(upstream: upstream, weights: weights, into: buffer)
            let loss = try targetLoss(decoder: decoder, batches: batches, plans: plans, kind: lossKind)
            guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: losses.count + 1, phase: "composition search", loss: loss) }
            losses.append(loss)
            samples += targets.count
            tokens += batches.reduce(0) { $0 + BatchAssembly.realTokens($1) }
            if let progress {
                let elapsed = Date().timeIntervalSince(start), done = losses.count
                progress(TrainingProgress(method: .loraHub, step: done, totalSteps: searchSteps, loss: loss,
                                          tokensPerSecond: Double(tokens) / max(elapsed, 1e-9),
                                          etaSeconds: elapsed / Double(done) * Double(searchSteps - done), phase: "search"))
            }
            return loss
        }
        LoRAHub.compose(upstream: upstream, weights: result.weights, into: buffer)
        let best = result.history.firstIndex { $0.weights == result.weights && $0.value == result.bestObjective }!
        return Outcome(weights: result.weights, objective: result.bestObjective, targetLoss: losses[best], baseLoss: losses[0],
                       history: result.history, composed: buffer, samples: samples, tokens: tokens,
                       wallSeconds: Date().timeIntervalSince(start))
    }

    /// The loss of `batches` with the decoder's current adapter (no dropout, no backward pass):
    /// the token mean over the scored (answer) positions, or the authors' per-example form, each
    /// batch's token mean summed over batches and divided by the number of examples
    /// (sail-sg/lorahub lorahub/algorithm.py:124–135).
    static func targetLoss(decoder: LlamaDecoder, batches: [TokenBatch], plans: ActivationPlans,
                           kind: LoRAHubSearchLoss = .tokenMean) throws -> Double {
        var sum = 0.0, count = 0, batchMeans = 0.0, examples = 0
        for batch in batches {
            let r = try decoder.lossAndGradients(batch, plans.activations(for: batch, backward: false), backward: false, training: false)
            sum += r.sumNLL; count += r.validCount
            batchMeans += r.meanNLL; examples += batch.batch
        }
        guard count > 0 else { return .nan }
        switch kind {
        case .tokenMean: return sum / Double(count)
        case .perExample: return batchMeans / Double(examples)
        }
    }
}
