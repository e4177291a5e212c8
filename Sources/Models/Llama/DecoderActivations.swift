import Engine

/// Planned activation memory for one (batch, sequence length): allocated once, reused every step.
///
/// Shapes legend: N = B·T rows, C hidden, QW = NH·HS, KW = NKV·HS, H feed-forward, L layers.
/// Saved per layer for the backward pass (training) — everything else is recomputed:
///   residual[l]   [N, C]   the residual stream entering layer l (residual[L] leaves the last layer)
///   q, k, v       [N, QW], [N, KW], [N, KW]  after RoPE
///   attention     [N, QW]  attention output (input of o_proj), lse [B, NH, T]
///   middle        [N, C]   residual after the attention block
///   gate, up      [N, H]
///   rstd1, rstd2  [N]
/// When `saveForBackward` is false every layer shares one set (inference: ~1/L of the memory).
/// With `recomputeMLP`, gate and up (more than half of the saved bytes per row) are not kept per
/// layer: the backward pass recomputes them from `middle` (two more sgemms per layer), for long
/// sequences whose activations would not fit otherwise.
public final class DecoderActivations: @unchecked Sendable {
    public let batch: Int
    public let seqLen: Int
    public let rows: Int
    public let savesForBackward: Bool
    /// gate/up are recomputed in the backward pass instead of saved per layer.
    public let recomputesMLP: Bool
    let config: LlamaConfig

    let residual: [Tensor]
    let q: [Tensor], k: [Tensor], v: [Tensor]
    let attention: [Tensor], lse: [Tensor]
    let middle: [Tensor]
    let gate: [Tensor], up: [Tensor]
    let rstd1: [Tensor], rstd2: [Tensor]
    // Shared scratch.
    let normed: Tensor          // [N, C]
    let swiglu: Tensor          // [N, H]
    let finalNormed: Tensor     // [N, C]
    let finalRstd: Tensor       // [N]
    let attentionScratch: AttentionScratch
    let lmHeadScratch: LMHeadScratch

    public init(config c: LlamaConfig, batch: Int, seqLen: Int, saveForBackward: Bool, recomputeMLP: Bool = false) {
        self.config = c
        self.batch = batch
        self.seqLen = seqLen
        self.rows = batch * seqLen
        self.savesForBackward = saveForBackward
        self.recomputesMLP = saveForBackward && recomputeMLP
        let n = rows
        let copies = saveForBackward ? c.layerCount : 1
        func make(_ width: Int, _ count: Int = copies) -> [Tensor] { (0..<count).map { _ in Tensor(shape: [n, width]) } }
        residual = make(c.hiddenSize, saveForBackward ? c.layerCount + 1 : 2)
        q = make(c.queryWidth); k = make(c.keyValueWidth); v = make(c.keyValueWidth)
        attention = make(c.queryWidth)
        lse = (0..<copies).map { _ in Tensor(shape: [batch, c.headCount, seqLen]) }
        middle = make(c.hiddenSize)
        let mlpCopies = recomputesMLP ? 1 : copies
        gate = make(c.intermediateSize, mlpCopies); up = make(c.intermediateSize, mlpCopies)
        rstd1 = (0..<copies).map { _ in Tensor(shape: [n]) }
        rstd2 = (0..<copies).map { _ in Tensor(shape: [n]) }
        normed = Tensor(shape: [n, c.hiddenSize])
        swiglu = Tensor(shape: [n, c.intermediateSize])
        finalNormed = Tensor(shape: [n, c.hiddenSize])
        finalRstd = Tensor(shape: [n])
        attentionScratch = AttentionScratch(maxT: seqLen)
        lmHeadScratch = LMHeadScratch(vocab: c.vocabularySize, channels: c.hiddenSize)
    }

    /// Which saved copy layer `l` uses.
    @inline(__always) func slot(_ l: Int) -> Int { savesForBackward ? l : 0 }
    /// Which gate/up copy layer `l` uses (one shared copy when they are recomputed).
    @inline(__always) func mlpSlot(_ l: Int) -> Int { recomputesMLP ? 0 : slot(l) }
    /// The residual buffer entering layer `l` (inference alternates between two).
    @inline(__always) func residualIn(_ l: Int) -> Tensor { savesForBackward ? residual[l] : residual[l % 2] }
    @inline(__always) func residualOut(_ l: Int) -> Tensor { savesForBackward ? residual[l + 1] : residual[(l + 1) % 2] }

    /// The residual stream after the last layer, before the final norm.
    public var lastResidual: Tensor { residualIn(config.layerCount) }
    /// The final-norm output `[N, C]` (what the LM head reads).
    public var finalHidden: Tensor { finalNormed }
    /// The residual stream after layer `l` (only kept for every layer in training mode).
    public func residual(afterLayer l: Int) -> Tensor {
        precondition(savesForBackward || l == config.layerCount - 1, "per-layer residuals are kept only with saveForBackward")
        return residualOut(l)
    }
    /// The embedding output `[N, C]` (training mode).
    public var embeddingOutput: Tensor {
        precondition(savesForBackward, "the embedding output is kept only with saveForBackward")
        return residual[0]
    }

    /// Bytes held, for memory reports.
    public var byteCount: Int {
        let tensors = residual + q + k + v + attention + lse + middle + gate + up + rstd1 + rstd2
            + [normed, swiglu, finalNormed, finalRstd]
        return tensors.reduce(0) { $0 + 4 * $1.count }
    }
}

/// Gradient scratch for the backward pass, sized like the activations.
final class DecoderGradients: @unchecked Sendable {
    let residual: Tensor       // [N, C] dLoss/d(residual stream), flows down the layers
    let normed: Tensor         // [N, C]
    let attention: Tensor      // [N, QW]
    let q: Tensor, k: Tensor, v: Tensor
    let gate: Tensor, up: Tensor   // [N, H]
    let swiglu: Tensor         // [N, H]

    init(config c: LlamaConfig, rows n: Int) {
        residual = Tensor(shape: [n, c.hiddenSize])
        normed = Tensor(shape: [n, c.hiddenSize])
        attention = Tensor(shape: [n, c.queryWidth])
        q = Tensor(shape: [n, c.queryWidth])
        k = Tensor(shape: [n, c.keyValueWidth])
        v = Tensor(shape: [n, c.keyValueWidth])
        gate = Tensor(shape: [n, c.intermediateSize])
        up = Tensor(shape: [n, c.intermediateSize])
        swiglu = Tensor(shape: [n, c.intermediateSize])
    }
}
