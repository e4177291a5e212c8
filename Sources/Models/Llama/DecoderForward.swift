import Engine

/// Errors of the decoder's inputs (bad ids, lengths), each saying what is wrong.
public enum DecoderError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfRange(id: Int, position: Int, vocabulary: Int)
    case sequenceTooLong(length: Int, limit: Int)
    case activationShape(expected: String, got: String)
    case unsupportedPrecision(String, reason: String)

    public var description: String {
        switch self {
        case let .tokenOutOfRange(id, position, vocabulary):
            return "token id \(id) at position \(position) is outside the vocabulary 0..<\(vocabulary)"
        case let .sequenceTooLong(length, limit):
            return "sequence length \(length) exceeds the RoPE table / context limit \(limit)"
        case let .activationShape(expected, got):
            return "activation buffers are planned for \(expected) but the batch is \(got)"
        case let .unsupportedPrecision(precision, reason):
            return "precision \(precision) is not available with resident weights: \(reason)"
        }
    }
}

/// The LLaMA decoder's computation over frozen weights (forward here, backward in
/// DecoderBackward.swift), llm.c style: each block's forward/backward reads and writes the planned
/// buffers of `DecoderActivations`.
public final class LlamaDecoder: @unchecked Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    public let rope: RopeTable
    public var adapter: ProjectionAdapter?
    /// The arithmetic of the frozen weights' products; set with `setPrecision` (DecoderPrecision.swift).
    public internal(set) var precision: Precision = .f32
    /// The frozen weights packed as bf16, when `precision` is `.bf16`.
    var bf16Weights: BF16DecoderWeights?
    /// Backward scratch, reused while the row count stays the same.
    var cachedGradients: DecoderGradients?
    /// Buffers of incremental (KV-cache) forwards, reused while the row count stays the same.
    var cachedIncremental: IncrementalBuffers?
    var cachedSmallLMHeadScratch: LMHeadScratch?
    /// Where resident weights are dequantized before each product (FrozenProducts.swift).
    let dequantizeScratch = DequantizeScratch()
    var dequantizeNanoseconds: UInt64 = 0

    public init(weights: LlamaWeights, maxSequenceLength: Int? = nil) {
        self.config = weights.config
        self.weights = weights
        // RoPE works at any position; the table covers at least 4096 so few-shot prompts fit even on
        // models trained with a short context (the tiny fixture model has 128).
        let maxT = maxSequenceLength ?? max(weights.config.contextLength, 4096)
        // Linear RoPE scaling divides positions by the factor, i.e. multiplies every frequency by 1/factor.
        rope = RopeTable(maxT: maxT, rotaryDims: weights.config.ropeDimensions,
                         base: weights.config.ropeTheta, positionScale: 1 / weights.config.ropeLinearScale)
    }

    func validate(_ batch: TokenBatch, _ acts: DecoderActivations) throws {
        guard acts.batch == batch.batch, acts.seqLen == batch.seqLen else {
            throw DecoderError.activationShape(expected: "\(acts.batch)×\(acts.seqLen)", got: "\(batch.batch)×\(batch.seqLen)")
        }
        guard batch.seqLen <= rope.maxT else { throw DecoderError.sequenceTooLong(length: batch.seqLen, limit: rope.maxT) }
        let v = config.vocabularySize
        for (i, id) in batch.ids.enumerated() where id < 0 || Int(id) >= v {
            throw DecoderError.tokenOutOfRange(id: Int(id), position: i, vocabulary: v)
        }
        for (i, t) in batch.targets.enumerated() where t != LMHead.ignoreIndex && (t < 0 || Int(t) >= v) {
            throw DecoderError.tokenOutOfRange(id: Int(t), position: i, vocabulary: v)
        }
    }

    /// Runs embedding → L layers → final norm over the batch; `acts.finalHidden` holds the result.
    /// `training` enables adapter dropout; saving for backward is decided by how `acts` was planned.
    public func forward(_ batch: TokenBatch, _ acts: DecoderActivations, training: Bool = false) throws {
        try validate(batch, acts)
        let c = config, n = batch.rows
        let layout = BatchLayout(batch: batch.batch, seqLen: batch.seqLen, sequenceGroups: batch.sequenceGroups)
        adapter?.prepare(layout: layout, training: training)
        batch.ids.withUnsafeBufferPointer { ids in
            embed(out: acts.residualIn(0).data, ids: ids.baseAddress!, rows: n)
        }
        batch.mask.withUnsafeBufferPointer { mask in
            for l in 0..<c.layerCount {
                layerForward(l, acts, mask: mask.baseAddress!, layout: layout, training: training)
            }
        }
        RMSNorm.forward(out: acts.finalNormed.data, rstd: acts.finalRstd.data, inp: acts.lastResidual.data,
                        weight: weights.finalNorm.data, rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
    }

    /// y = x Wᵀ for projection `p` of layer `l`, plus the adapter's Δ when it targets it.
    @inline(__always)
    func project(_ l: Int, _ p: Projection, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                 rows n: Int, beta: Float = 0, layout: BatchLayout, training: Bool) {
        let (out, inp) = p.shape(config)
        if let packed = bf16Weights?.projection(l, p) {
            StageTimer.measure(StageTimer.enabled ? "linear \(p)" : "linear") { packed.forward(y: y, x: x, rows: n, beta: beta) }
        } else {
            withFrozenWeight(l, p) { w in
                StageTimer.measure("linear") {
                    Linear.forward(y: y, x: x, weight: w, rows: n, inFeatures: inp, outFeatures: out, beta: beta)
                }
            }
        }
        if let adapter, adapter.targets(layer: l, projection: p) {
            StageTimer.measure("adapter") {
                adapter.forward(layer: l, projection: p, x: x, ldx: inp, y: y, ldy: out, layout: layout, training: training)
            }
        }
    }

    /// One decoder layer's forward, llm.c style; its backward is `layerBackward` (DecoderBackward.swift).
    ///
    /// Shapes (N = B·T rows, C hidden, QW/KW query/key-value widths, H feed-forward):
    ///   input  residual[l] [N, C]
    ///   normed [N, C] = rmsnorm1(input)                                  rstd1 [N]
    ///   q [N, QW], k [N, KW], v [N, KW] = normed Wqᵀ, Wkᵀ, Wvᵀ (+ adapters), RoPE on q, k
    ///   attention [N, QW] = causal softmax(q kᵀ/√HS) v                   lse [B, NH, T]
    ///   middle [N, C] = input + attention Woᵀ
    ///   normed [N, C] = rmsnorm2(middle)                                 rstd2 [N]
    ///   gate, up [N, H] = normed Wgateᵀ, Wupᵀ
    ///   swiglu [N, H] = silu(gate) ⊙ up
    ///   output residual[l+1] [N, C] = middle + swiglu Wdownᵀ
    func layerForward(_ l: Int, _ acts: DecoderActivations, mask: UnsafePointer<Int32>, layout: BatchLayout, training: Bool) {
        attentionBlockForward(l, acts, mask: mask, layout: layout, training: training)
        mlpBlockForward(l, acts, layout: layout, training: training, throughOutput: true)
    }

    /// Re-runs layer `l`'s forward from its saved input residual before its backward (whole-layer
    /// recomputation): the same calls as `layerForward` on the same inputs, so q, k, v, attention,
    /// lse, middle, the rstds and gate/up come out bit-identical. It stops at gate/up: SwiGLU is
    /// recomputed by the backward anyway and the layer's output (residual[l+1]) is already saved.
    func recomputeLayerForward(_ l: Int, _ acts: DecoderActivations, mask: UnsafePointer<Int32>, layout: BatchLayout, training: Bool) {
        StageTimer.measure("recompute") {
            attentionBlockForward(l, acts, mask: mask, layout: layout, training: training)
            mlpBlockForward(l, acts, layout: layout, training: training, throughOutput: false)
        }
    }

    /// middle = input + o(attention(rope(q), rope(k), v)) of rmsnorm(input).
    func attentionBlockForward(_ l: Int, _ acts: DecoderActivations, mask: UnsafePointer<Int32>, layout: BatchLayout, training: Bool) {
        let c = config, n = acts.rows, s = acts.slot(l), w = weights.layers[l]
        let input = acts.residualIn(l)
        RMSNorm.forward(out: acts.normed.data, rstd: acts.rstd1[s].data, inp: input.data, weight: w.attentionNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        project(l, .q, x: acts.normed.data, y: acts.q[s].data, rows: n, layout: layout, training: training)
        project(l, .k, x: acts.normed.data, y: acts.k[s].data, rows: n, layout: layout, training: training)
        project(l, .v, x: acts.normed.data, y: acts.v[s].data, rows: n, layout: layout, training: training)
        RoPE.forward(acts.q[s].data, rows: n, seqLen: acts.seqLen, heads: c.headCount, headSize: c.headSize, table: rope, layout: .rotateHalf)
        RoPE.forward(acts.k[s].data, rows: n, seqLen: acts.seqLen, heads: c.keyValueHeadCount, headSize: c.headSize, table: rope, layout: .rotateHalf)
        StageTimer.measure("attention") {
            Attention.forward(out: acts.attention[s].data, lse: acts.lse[s].data, q: acts.q[s].data, k: acts.k[s].data,
                              v: acts.v[s].data, mask: mask, batch: acts.batch, seqLen: acts.seqLen,
                              heads: c.headCount, kvHeads: c.keyValueHeadCount, headSize: c.headSize, scratch: acts.attentionScratch,
                              precision: precision)
        }
        let middle = acts.middle[s]
        Elementwise.copy(middle.data, input.data, count: n * c.hiddenSize)
        project(l, .o, x: acts.attention[s].data, y: middle.data, rows: n, beta: 1, layout: layout, training: training)
    }

    /// output = middle + down(silu(gate(x)) * up(x)), x = rmsnorm(middle); with `throughOutput`
    /// false it stops once gate and up are computed.
    func mlpBlockForward(_ l: Int, _ acts: DecoderActivations, layout: BatchLayout, training: Bool, throughOutput: Bool) {
        let c = config, n = acts.rows, s = acts.slot(l), w = weights.layers[l]
        let middle = acts.middle[s], output = acts.residualOut(l)
        RMSNorm.forward(out: acts.normed.data, rstd: acts.rstd2[s].data, inp: middle.data, weight: w.feedForwardNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        let m = acts.mlpSlot(l)
        project(l, .gate, x: acts.normed.data, y: acts.gate[m].data, rows: n, layout: layout, training: training)
        project(l, .up, x: acts.normed.data, y: acts.up[m].data, rows: n, layout: layout, training: training)
        guard throughOutput else { return }
        StageTimer.measure("swiglu") {
            SwiGLU.forward(out: acts.swiglu.data, gate: acts.gate[m].data, up: acts.up[m].data, count: n * c.intermediateSize)
        }
        Elementwise.copy(output.data, middle.data, count: n * c.hiddenSize)
        project(l, .down, x: acts.swiglu.data, y: output.data, rows: n, beta: 1, layout: layout, training: training)
    }
}
