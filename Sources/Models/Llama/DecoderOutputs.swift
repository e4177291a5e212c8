import Engine

extension LlamaDecoder {
    /// Logits `[rows.count, V]` of the given rows of the last forward (all rows when nil).
    public func logits(_ acts: DecoderActivations, rows: [Int]? = nil) -> Tensor {
        let c = config
        let out = Tensor(shape: [rows?.count ?? acts.rows, c.vocabularySize])
        withLMHeadWeight { head in
            LMHead.logits(out: out.data, h: acts.finalNormed.data, weight: head, rowIndices: rows,
                          rows: acts.rows, channels: c.hiddenSize, vocab: c.vocabularySize, scratch: acts.lmHeadScratch,
                          bf16: bf16Weights?.output)
        }
        return out
    }

    /// lm-eval style scoring of the last forward: per row, log p(target) and whether the target is
    /// the argmax; rows whose target is -100 get (0, false).
    public func scoreTargets(_ batch: TokenBatch, _ acts: DecoderActivations) -> (logProbs: [Double], isGreedy: [Bool]) {
        let c = config, n = batch.rows
        var logProbs = [Double](repeating: 0, count: n)
        var greedy = [UInt8](repeating: 0, count: n)
        withLMHeadWeight { head in StageTimer.measure("lm-head score") { batch.targets.withUnsafeBufferPointer { targets in
            logProbs.withUnsafeMutableBufferPointer { lp in
                greedy.withUnsafeMutableBufferPointer { g in
                    LMHead.score(logProb: lp.baseAddress!, isGreedy: g.baseAddress!, h: acts.finalNormed.data,
                                 weight: head, targets: targets.baseAddress!, rows: n,
                                 channels: c.hiddenSize, vocab: c.vocabularySize, scratch: acts.lmHeadScratch,
                                 bf16: bf16Weights?.output)
                }
            }
        } } }
        return (logProbs, greedy.map { $0 != 0 })
    }

    /// Convenience: forward over one batch (inference buffers) and return all logits.
    public func logits(for batch: TokenBatch) throws -> Tensor {
        let acts = DecoderActivations(config: config, batch: batch.batch, seqLen: batch.seqLen, saveForBackward: false)
        try forward(batch, acts)
        return logits(acts)
    }
}
