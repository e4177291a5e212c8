import Foundation
import Engine
import Models
import Data

/// Turns tokenized examples into right-padded `TokenBatch`es and keeps one planned
/// `DecoderActivations` per batch shape, so training allocates activation memory once per shape.
public enum BatchAssembly {
    /// Pad token id of the batches (masked out of attention and loss, so its value is irrelevant).
    public static let padID = 0

    /// Batch widths are rounded up to a multiple of this, so batches of similar length share a
    /// shape and reuse one planned `DecoderActivations` (padding is masked: results are unchanged).
    public static let widthMultiple = 16

    /// One batch holding `groups` one after another: sequence b gets `sequenceGroups[b]` = the
    /// index of its group (the adapter copy / task it belongs to). All rows share the longest
    /// length, rounded up to `widthMultiple`.
    public static func batch(_ groups: [[TokenizedExample]], groupIDs: [Int]? = nil) -> TokenBatch {
        var ids: [[Int]] = [], masks: [[Int]] = [], labels: [[Int]] = [], owners: [Int] = []
        let longest = groups.flatMap { $0 }.map(\.inputIDs.count).max() ?? 0
        let width = (longest + widthMultiple - 1) / widthMultiple * widthMultiple
        for (g, group) in groups.enumerated() {
            for example in group {
                let pad = width - example.inputIDs.count
                ids.append(example.inputIDs + [Int](repeating: padID, count: pad))
                masks.append([Int](repeating: 1, count: example.inputIDs.count) + [Int](repeating: 0, count: pad))
                labels.append(example.labels + [Int](repeating: TokenizedExample.ignoreLabel, count: pad))
                owners.append(groupIDs?[g] ?? g)
            }
        }
        return TokenBatch(inputIds: ids, attentionMask: masks, labels: labels, sequenceGroups: owners)
    }

    /// Real (unpadded) tokens of a batch: what "tokens processed" counts.
    public static func realTokens(_ batch: TokenBatch) -> Int { batch.mask.reduce(0) { $0 + Int($1) } }

    /// Scored positions of each sequence group (the per-task denominators of Eq. 4 / Eq. 6).
    /// Eq. 4 / 6's example mean: each sequence's weight 1/(its scored positions) (0 when it has
    /// none), and per group the number of sequences that have scored positions.
    public static func exampleMeanWeights(_ batch: TokenBatch, groups: Int) -> (weights: [Float], examples: [Int]) {
        var weights = [Float](repeating: 0, count: batch.batch)
        var examples = [Int](repeating: 0, count: groups)
        for b in 0..<batch.batch {
            var n = 0
            for t in 0..<batch.seqLen where batch.targets[b * batch.seqLen + t] >= 0 { n += 1 }
            if n > 0 { weights[b] = 1 / Float(n); examples[batch.sequenceGroups[b]] += 1 }
        }
        return (weights, examples)
    }

    public static func scoredPositions(_ batch: TokenBatch, groups: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: groups)
        for b in 0..<batch.batch {
            var n = 0
            for t in 0..<batch.seqLen where batch.targets[b * batch.seqLen + t] >= 0 { n += 1 }
            counts[batch.sequenceGroups[b]] += n
        }
        return counts
    }
}

/// Planned activations by batch shape (B, T), reused across steps. Keeps at most `capacity`
/// shapes and about `byteBudget` bytes (a SmolLM2 training plan of 16 × 256 tokens is ~3 GB),
/// evicting the least recently used.
public final class ActivationPlans: @unchecked Sendable {
    struct Shape: Hashable { let batch: Int, seqLen: Int, backward: Bool }
    let config: LlamaConfig
    let capacity: Int
    let byteBudget: Int
    var plans: [(Shape, DecoderActivations)] = []
    /// Sequences at least this long recompute gate/up in the backward pass instead of saving them
    /// per layer (optional MLP recomputation: about 55% less activation memory for ~12%
    /// more compute). 0 = always, `Int.max` = never; results are identical either way.
    public var recomputeMLPFromLength: Int = ActivationPlans.defaultRecomputeMLPFromLength
    public static let defaultRecomputeMLPFromLength = 1024
    /// Training plans whose activations (after the MLP choice above) would exceed this many bytes
    /// recompute each whole layer in the backward pass instead (gradient checkpointing: only the
    /// residual stream is kept per layer). LLaMA-7B at 8 × 512 needs it; SmolLM2 never does.
    public var recomputeLayersAboveBytes: Int = DecoderActivations.defaultLayerRecomputeAboveBytes
    /// A fixed choice for every training plan instead of the two thresholds above (nil = automatic).
    public var recompute: ActivationRecomputation?

    /// The recomputation a training plan of `batch` × `seqLen` uses.
    public func recomputation(batch: Int, seqLen: Int) -> ActivationRecomputation {
        if let recompute { return recompute }
        return DecoderActivations.automaticRecomputation(config: config, batch: batch, seqLen: seqLen,
                                                         mlpFromLength: recomputeMLPFromLength,
                                                         layerAboveBytes: recomputeLayersAboveBytes)
    }

    public init(config: LlamaConfig, capacity: Int = 8, byteBudget: Int = 3 << 30) {
        self.config = config
        self.capacity = max(1, capacity)
        self.byteBudget = byteBudget
    }

    public func activations(for batch: TokenBatch, backward: Bool) -> DecoderActivations {
        let shape = Shape(batch: batch.batch, seqLen: batch.seqLen, backward: backward)
        if let i = plans.firstIndex(where: { $0.0 == shape }) {
            let plan = plans.remove(at: i)
            plans.append(plan)
            return plan.1
        }
        if plans.count >= capacity { plans.removeFirst() }
        let acts = DecoderActivations(config: config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: backward,
                                      recompute: recomputation(batch: batch.batch, seqLen: batch.seqLen))
        plans.append((shape, acts))
        while plans.count > 1 && plans.reduce(0, { $0 + $1.1.byteCount }) > byteBudget { plans.removeFirst() }
        return acts
    }
}

extension BatchAssembly {
    /// Right-pads a batch to `seqLen` positions (mask 0, no targets).
    public static func padded(_ batch: TokenBatch, to seqLen: Int) -> TokenBatch {
        precondition(seqLen >= batch.seqLen, "padded: cannot shorten a batch")
        if seqLen == batch.seqLen { return batch }
        var ids: [Int32] = [], mask: [Int32] = [], targets: [Int32] = []
        let extra = seqLen - batch.seqLen
        for b in 0..<batch.batch {
            let row = (b * batch.seqLen)..<((b + 1) * batch.seqLen)
            ids += batch.ids[row] + [Int32](repeating: Int32(padID), count: extra)
            mask += batch.mask[row] + [Int32](repeating: 0, count: extra)
            targets += batch.targets[row] + [Int32](repeating: LMHead.ignoreIndex, count: extra)
        }
        return TokenBatch(batch: batch.batch, seqLen: seqLen, ids: ids, mask: mask, targets: targets,
                          sequenceGroups: batch.sequenceGroups)
    }

    /// Task batches side by side: padded to a common length, sequence group i for batch i.
    public static func concatenate(_ batches: [TokenBatch]) -> TokenBatch {
        let width = batches.map(\.seqLen).max() ?? 0
        return TokenBatch.concatenate(batches.enumerated().map { i, batch in
            var part = padded(batch, to: width)
            part.sequenceGroups = [Int](repeating: i, count: batch.batch)
            return part
        })
    }
}
