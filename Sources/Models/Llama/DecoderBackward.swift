import Engine

extension LlamaDecoder {
    /// Causal-LM loss over the batch's targets (mean over scored positions) and, when `backward`
    /// is true, the backward pass: adapter gradients are accumulated by the adapter, and
    /// `dEmbeddings` (if given, `[N, C]`) receives dLoss/d(embedding output).
    ///
    /// `gradScale` defaults to 1/(scored positions), i.e. the HF mean loss; callers that average
    /// over several batches pass their own.
    ///
    /// `sequenceWeights` (one per sequence) weights each sequence's summed NLL: the loss becomes
    /// Σ_b w_b Σ_{t∈b} nll_t, its gradient scaled by `gradScale` (default 1), and the result's
    /// `sumNLL` is that weighted sum (`validCount` stays the scored positions). With
    /// w_b = 1/(scored positions of b) and gradScale 1/B this is the mean over examples of each
    /// example's token mean (MeTA-LoRA Eq. 4 / 6).
    @discardableResult
    public func lossAndGradients(_ batch: TokenBatch, _ acts: DecoderActivations, backward: Bool = true,
                                 gradScale: Float? = nil, dEmbeddings: Tensor? = nil,
                                 training: Bool = true, sequenceWeights: [Float]? = nil) throws -> LMHead.LossResult {
        precondition(!backward || acts.savesForBackward, "backward needs activations planned with saveForBackward")
        try forward(batch, acts, training: training)
        let c = config, n = batch.rows
        let grads = backward ? gradientScratch(rows: n) : nil
        let count = batch.targetCount
        if let grads { grads.normed.zero() }
        let result: LMHead.LossResult
        if let sequenceWeights {
            precondition(sequenceWeights.count == batch.batch, "sequenceWeights: one weight per sequence")
            let scale = gradScale ?? 1, t = batch.seqLen
            var weightedSum = 0.0, scored = 0
            StageTimer.measure("lm-head loss") { batch.targets.withUnsafeBufferPointer { targets in
                withLMHeadWeight { head in
                    for b in 0..<batch.batch where sequenceWeights[b] != 0 {
                        let r = LMHead.loss(h: acts.finalNormed.data + b * t * c.hiddenSize, weight: head,
                                            targets: targets.baseAddress! + b * t, rows: t, channels: c.hiddenSize,
                                            vocab: c.vocabularySize, dh: grads.map { $0.normed.data + b * t * c.hiddenSize },
                                            gradScale: scale * sequenceWeights[b], scratch: acts.lmHeadScratch, bf16: bf16Weights?.output)
                        weightedSum += Double(sequenceWeights[b]) * r.sumNLL
                        scored += r.validCount
                    }
                }
            } }
            result = LMHead.LossResult(sumNLL: weightedSum, validCount: scored)
        } else {
            let scale = gradScale ?? (count > 0 ? 1 / Float(count) : 0)
            result = withLMHeadWeight { head in
                StageTimer.measure("lm-head loss") { batch.targets.withUnsafeBufferPointer { targets in
                    LMHead.loss(h: acts.finalNormed.data, weight: head, targets: targets.baseAddress!,
                                rows: n, channels: c.hiddenSize, vocab: c.vocabularySize,
                                dh: grads?.normed.data, gradScale: scale, scratch: acts.lmHeadScratch, bf16: bf16Weights?.output)
                } }
            }
        }
        guard let grads else { return result }
        grads.residual.zero()
        RMSNorm.backward(dinp: grads.residual.data, dweight: nil, dout: grads.normed.data, inp: acts.lastResidual.data,
                         weight: weights.finalNorm.data, rstd: acts.finalRstd.data, rows: n, channels: c.hiddenSize)
        let layout = BatchLayout(batch: batch.batch, seqLen: batch.seqLen, sequenceGroups: batch.sequenceGroups)
        batch.mask.withUnsafeBufferPointer { mask in
            for l in stride(from: c.layerCount - 1, through: 0, by: -1) {
                // Whole-layer recomputation: refill the shared buffers with layer l's activations
                // (same adapter state and `training` flag as the forward, so dropout masks repeat).
                if acts.recomputesLayers {
                    recomputeLayerForward(l, acts, mask: mask.baseAddress!, layout: layout, training: training)
                }
                layerBackward(l, acts, grads, mask: mask.baseAddress!, layout: layout, training: training)
            }
        }
        if let dEmbeddings {
            precondition(dEmbeddings.count == n * c.hiddenSize, "dEmbeddings must be [N, C]")
            dEmbeddings.copy(from: grads.residual)
        }
        return result
    }

    /// The backward scratch, kept between steps of the same row count.
    func gradientScratch(rows n: Int) -> DecoderGradients {
        if let g = cachedGradients, g.residual.shape[0] == n { return g }
        let g = DecoderGradients(config: config, rows: n)
        cachedGradients = g
        return g
    }

    /// dx (+)= dy W for projection `p`, plus the adapter's backward (which needs the projection's input x).
    @inline(__always)
    func projectBackward(_ l: Int, _ p: Projection, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, rows n: Int, beta: Float, layout: BatchLayout) {
        let (out, inp) = p.shape(config)
        if let packed = bf16Weights?.projection(l, p) {
            StageTimer.measure(StageTimer.enabled ? "linear backward \(p)" : "linear backward") { packed.backwardInput(dx: dx, dy: dy, rows: n, beta: beta) }
        } else {
            withFrozenWeight(l, p) { w in
                StageTimer.measure("linear backward") {
                    Linear.backwardInput(dx: dx, dy: dy, weight: w, rows: n, inFeatures: inp, outFeatures: out, beta: beta)
                }
            }
        }
        adapterBackward(l, p, x: x, dy: dy, dx: dx, layout: layout)
    }

    /// dx += the adapter's part of projection `p`'s input gradient, when it targets `p`.
    @inline(__always)
    func adapterBackward(_ l: Int, _ p: Projection, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>, layout: BatchLayout) {
        guard let adapter, adapter.targets(layer: l, projection: p) else { return }
        let (out, inp) = p.shape(config)
        StageTimer.measure("adapter backward") {
            adapter.backward(layer: l, projection: p, x: x, ldx: inp, dy: dy, ldy: out, dx: dx, lddx: inp, layout: layout)
        }
    }

    /// dx = Σ dy_p W_p over projections sharing the input x (q|k|v or gate|up), plus each one's
    /// adapter backward. In bf16 the frozen part is one product over the stacked weights; in
    /// float32 it is one accumulating product per projection, in the group's order.
    func projectGroupBackward(_ l: Int, _ group: BF16DecoderWeights.ProjectionGroup, x: UnsafePointer<Float>,
                              dys: [UnsafePointer<Float>], dx: UnsafeMutablePointer<Float>, rows n: Int, layout: BatchLayout) {
        let members = group.members
        guard let bf16 = bf16Weights else {
            for (i, (p, dy)) in zip(members, dys).enumerated() {
                projectBackward(l, p, x: x, dy: dy, dx: dx, rows: n, beta: i == 0 ? 0 : 1, layout: layout)
            }
            return
        }
        let parts = zip(members, dys).map { p, dy in BF16Operand(dy, stride: p.shape(config).out, columns: p.shape(config).out) }
        StageTimer.measure("linear backward") {
            bf16.stackedBackwardPack(l, group).multiply(c: dx, ldc: config.hiddenSize, parts: parts, m: n, beta: 0)
        }
        for (p, dy) in zip(members, dys) { adapterBackward(l, p, x: x, dy: dy, dx: dx, layout: layout) }
    }

    /// Backward through layer `l`, paired with `layerForward`: on entry `grads.residual` is
    /// dLoss/d(residual after layer l); on exit it is dLoss/d(residual entering layer l). Norm
    /// outputs and the SwiGLU product (and gate/up with `recomputesMLP`) are recomputed from the
    /// saved residuals rather than stored; with `recomputesLayers` the caller has just re-run the
    /// layer's forward into the shared slot.
    ///
    /// Shapes (as in `layerForward`): grads.residual [N, C]; grads.swiglu, gate, up [N, H];
    /// grads.normed [N, C]; grads.attention [N, QW]; grads.q [N, QW], grads.k, v [N, KW].
    func layerBackward(_ l: Int, _ acts: DecoderActivations, _ grads: DecoderGradients,
                       mask: UnsafePointer<Int32>, layout: BatchLayout, training: Bool) {
        let c = config, n = acts.rows, s = acts.slot(l), w = weights.layers[l]
        let input = acts.residualIn(l), middle = acts.middle[s]
        let count = n * c.intermediateSize

        // MLP block. output = middle + down(swiglu(gate, up)), gate/up = W · rmsnorm(middle).
        RMSNorm.forward(out: acts.normed.data, rstd: acts.rstd2[s].data, inp: middle.data, weight: w.feedForwardNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        let m = acts.mlpSlot(l)
        if acts.recomputesMLP {
            // Same inputs, same adapter state (dropout masks are re-derived from the step's seed),
            // so gate/up come out bit-identical to the forward pass's.
            project(l, .gate, x: acts.normed.data, y: acts.gate[m].data, rows: n, layout: layout, training: training)
            project(l, .up, x: acts.normed.data, y: acts.up[m].data, rows: n, layout: layout, training: training)
        }
        SwiGLU.forward(out: acts.swiglu.data, gate: acts.gate[m].data, up: acts.up[m].data, count: count)
        projectBackward(l, .down, x: acts.swiglu.data, dy: grads.residual.data, dx: grads.swiglu.data,
                        rows: n, beta: 0, layout: layout)
        StageTimer.measure("swiglu backward") {
            SwiGLU.backward(dgate: grads.gate.data, dup: grads.up.data, dout: grads.swiglu.data,
                            gate: acts.gate[m].data, up: acts.up[m].data, count: count)
        }
        projectGroupBackward(l, .gateUp, x: acts.normed.data, dys: [UnsafePointer(grads.gate.data), UnsafePointer(grads.up.data)], dx: grads.normed.data,
                             rows: n, layout: layout)
        // The residual path passes dLoss/d(output) straight through; the norm adds its part.
        StageTimer.measure("rmsnorm backward") { RMSNorm.backward(dinp: grads.residual.data, dweight: nil, dout: grads.normed.data, inp: middle.data,
                         weight: w.feedForwardNorm.data, rstd: acts.rstd2[s].data, rows: n, channels: c.hiddenSize) }

        // Attention block. middle = input + o(attention(rope(q), rope(k), v)).
        projectBackward(l, .o, x: acts.attention[s].data, dy: grads.residual.data, dx: grads.attention.data,
                        rows: n, beta: 0, layout: layout)
        grads.q.zero(); grads.k.zero(); grads.v.zero()
        StageTimer.measure("attention backward") { Attention.backward(dq: grads.q.data, dk: grads.k.data, dv: grads.v.data, dout: grads.attention.data,
                           q: acts.q[s].data, k: acts.k[s].data, v: acts.v[s].data,
                           out: acts.attention[s].data, lse: acts.lse[s].data, mask: mask,
                           batch: acts.batch, seqLen: acts.seqLen, heads: c.headCount, kvHeads: c.keyValueHeadCount,
                           headSize: c.headSize, scratch: acts.attentionScratch, precision: precision) }
        RoPE.backward(grads.q.data, rows: n, seqLen: acts.seqLen, heads: c.headCount, headSize: c.headSize, table: rope, layout: .rotateHalf)
        RoPE.backward(grads.k.data, rows: n, seqLen: acts.seqLen, heads: c.keyValueHeadCount, headSize: c.headSize, table: rope, layout: .rotateHalf)
        RMSNorm.forward(out: acts.normed.data, rstd: acts.rstd1[s].data, inp: input.data, weight: w.attentionNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        projectGroupBackward(l, .qkv, x: acts.normed.data, dys: [UnsafePointer(grads.q.data), UnsafePointer(grads.k.data), UnsafePointer(grads.v.data)], dx: grads.normed.data,
                             rows: n, layout: layout)
        RMSNorm.backward(dinp: grads.residual.data, dweight: nil, dout: grads.normed.data, inp: input.data,
                         weight: w.attentionNorm.data, rstd: acts.rstd1[s].data, rows: n, channels: c.hiddenSize)
    }
}
