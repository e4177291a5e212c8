import Engine

/// A right-padded batch of token sequences, row-major `[B, T]`.
///
/// `targets[b·T + t]` is the token position t must predict (HF labels shifted by one inside the
/// model: `targets[b, t] = labels[b, t+1]`), or -100 where nothing is scored.
public struct TokenBatch: Sendable {
    public let batch: Int
    public let seqLen: Int
    public var ids: [Int32]
    public var mask: [Int32]
    public var targets: [Int32]
    /// Which adapter copy / task each sequence belongs to (multi-task batches; 0 otherwise).
    public var sequenceGroups: [Int]

    public var rows: Int { batch * seqLen }

    /// From HF-style `input_ids`, `attention_mask` and `labels` (labels aligned with inputs, -100 ignored).
    public init(inputIds: [[Int]], attentionMask: [[Int]]? = nil, labels: [[Int]]? = nil, sequenceGroups: [Int]? = nil) {
        batch = inputIds.count
        seqLen = inputIds.map(\.count).max() ?? 0
        let t = seqLen
        ids = [Int32](repeating: 0, count: batch * t)
        mask = [Int32](repeating: 0, count: batch * t)
        targets = [Int32](repeating: -100, count: batch * t)
        for b in 0..<batch {
            let row = inputIds[b]
            for (i, id) in row.enumerated() {
                ids[b * t + i] = Int32(id)
                mask[b * t + i] = Int32(attentionMask?[b][i] ?? 1)
            }
            if let labels {
                let lab = labels[b]
                for i in 0..<max(0, lab.count - 1) { targets[b * t + i] = Int32(lab[i + 1]) }
            }
        }
        self.sequenceGroups = sequenceGroups ?? [Int](repeating: 0, count: batch)
    }

    /// Concatenates batches of equal sequence length (e.g. the n tasks' support sets of one
    /// MeTA-LoRA iteration), keeping each part's sequence groups.
    public static func concatenate(_ parts: [TokenBatch]) -> TokenBatch {
        precondition(!parts.isEmpty && Set(parts.map(\.seqLen)).count == 1, "concatenate: parts must share T")
        var out = parts[0]
        for p in parts.dropFirst() {
            out.ids += p.ids; out.mask += p.mask; out.targets += p.targets; out.sequenceGroups += p.sequenceGroups
        }
        return TokenBatch(batch: parts.reduce(0) { $0 + $1.batch }, seqLen: out.seqLen, ids: out.ids, mask: out.mask,
                          targets: out.targets, sequenceGroups: out.sequenceGroups)
    }

    public init(batch: Int, seqLen: Int, ids: [Int32], mask: [Int32], targets: [Int32], sequenceGroups: [Int]) {
        precondition(ids.count == batch * seqLen && mask.count == ids.count && targets.count == ids.count)
        self.batch = batch; self.seqLen = seqLen; self.ids = ids; self.mask = mask; self.targets = targets
        self.sequenceGroups = sequenceGroups
    }

    /// Number of scored positions.
    public var targetCount: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
