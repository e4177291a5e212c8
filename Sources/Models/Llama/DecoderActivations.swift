import Engine

/// Which activations the backward pass recomputes instead of keeping them per layer.
///
/// Every choice gives bit-identical losses and gradients (the recomputation runs the same kernels
/// on the same inputs in the same order); they differ only in memory and time.
public enum ActivationRecomputation: String, Sendable, CaseIterable, Codable {
    /// Everything the backward needs is saved per layer.
    case none
    /// gate/up (more than half of the saved bytes per row) are recomputed from `middle`: two more
    /// products per layer.
    case mlp
    /// Gradient checkpointing per decoder layer: only each layer's input residual is saved; the
    /// backward re-runs that layer's forward (up to gate/up) into one shared buffer set first.
    /// Six more products per layer, plus the attention forward.
    case layer
}

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
/// With `.mlp` recomputation, gate and up are one shared copy that the backward pass recomputes
/// from `middle`. With `.layer`, only `residual` is kept per layer (L + 1 copies); q … rstd2 are
/// one shared copy that the backward pass refills, layer by layer, by re-running the layer's
/// forward from residual[l]. Peak memory is then (L + 1)·N·C residuals + one layer's activations
/// + the shared scratch and the LM head's.
public final class DecoderActivations: @unchecked Sendable {
    public let batch: Int
    public let seqLen: Int
    public let rows: Int
    public let savesForBackward: Bool
    /// What the backward pass recomputes (`.none` whenever nothing is saved for a backward pass).
    public let recomputation: ActivationRecomputation
    /// gate/up alone are recomputed in the backward pass instead of saved per layer.
    public var recomputesMLP: Bool { recomputation == .mlp }
    /// Each layer's forward is re-run in the backward pass from its saved input residual.
    public var recomputesLayers: Bool { recomputation == .layer }
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

    public convenience init(config c: LlamaConfig, batch: Int, seqLen: Int, saveForBackward: Bool, recomputeMLP: Bool) {
        self.init(config: c, batch: batch, seqLen: seqLen, saveForBackward: saveForBackward, recompute: recomputeMLP ? .mlp : .none)
    }

    public init(config c: LlamaConfig, batch: Int, seqLen: Int, saveForBackward: Bool, recompute: ActivationRecomputation = .none) {
        self.config = c
        self.batch = batch
        self.seqLen = seqLen
        self.rows = batch * seqLen
        self.savesForBackward = saveForBackward
        self.recomputation = saveForBackward ? recompute : .none
        let n = rows
        let counts = Self.copyCounts(c, saveForBackward: saveForBackward, recompute: recomputation)
        func make(_ width: Int, _ count: Int = counts.layer) -> [Tensor] { (0..<count).map { _ in Tensor(shape: [n, width]) } }
        residual = make(c.hiddenSize, counts.residual)
        q = make(c.queryWidth); k = make(c.keyValueWidth); v = make(c.keyValueWidth)
        attention = make(c.queryWidth)
        lse = (0..<counts.layer).map { _ in Tensor(shape: [batch, c.headCount, seqLen]) }
        middle = make(c.hiddenSize)
        gate = make(c.intermediateSize, counts.mlp); up = make(c.intermediateSize, counts.mlp)
        rstd1 = (0..<counts.layer).map { _ in Tensor(shape: [n]) }
        rstd2 = (0..<counts.layer).map { _ in Tensor(shape: [n]) }
        normed = Tensor(shape: [n, c.hiddenSize])
        swiglu = Tensor(shape: [n, c.intermediateSize])
        finalNormed = Tensor(shape: [n, c.hiddenSize])
        finalRstd = Tensor(shape: [n])
        attentionScratch = AttentionScratch(maxT: seqLen)
        lmHeadScratch = LMHeadScratch(vocab: c.vocabularySize, channels: c.hiddenSize)
    }

    /// Copies of the residual stream, of the other per-layer buffers (q … rstd2) and of gate/up.
    static func copyCounts(_ c: LlamaConfig, saveForBackward: Bool, recompute: ActivationRecomputation)
        -> (residual: Int, layer: Int, mlp: Int) {
        guard saveForBackward else { return (2, 1, 1) }
        switch recompute {
        case .none: return (c.layerCount + 1, c.layerCount, c.layerCount)
        case .mlp: return (c.layerCount + 1, c.layerCount, 1)
        case .layer: return (c.layerCount + 1, 1, 1)
        }
    }

    /// The bytes `init` would allocate for these arguments, without allocating them (the float32
    /// buffers above, not the attention or LM-head scratch, which `byteCount` leaves out too).
    public static func plannedBytes(config c: LlamaConfig, batch: Int, seqLen: Int, saveForBackward: Bool,
                                    recompute: ActivationRecomputation = .none) -> Int {
        let n = batch * seqLen
        let counts = copyCounts(c, saveForBackward: saveForBackward, recompute: saveForBackward ? recompute : .none)
        let perLayer = n * (2 * c.queryWidth + 2 * c.keyValueWidth + c.hiddenSize + 2) + batch * c.headCount * seqLen
        let floats = counts.residual * n * c.hiddenSize + counts.layer * perLayer + counts.mlp * 2 * n * c.intermediateSize
            + n * (2 * c.hiddenSize + c.intermediateSize + 1)
        return 4 * floats
    }

    /// The automatic choice: MLP recomputation from `mlpFromLength` tokens per sequence, and
    /// whole-layer recomputation when the activations that choice would save exceed
    /// `layerAboveBytes` (LLaMA-7B at 8 × 512 would need ~13 GB with MLP recomputation alone).
    public static func automaticRecomputation(config c: LlamaConfig, batch: Int, seqLen: Int,
                                              mlpFromLength: Int, layerAboveBytes: Int) -> ActivationRecomputation {
        let base: ActivationRecomputation = seqLen >= mlpFromLength ? .mlp : .none
        let bytes = plannedBytes(config: c, batch: batch, seqLen: seqLen, saveForBackward: true, recompute: base)
        return bytes > layerAboveBytes ? .layer : base
    }
    /// Activations above this many bytes switch the automatic choice to whole-layer recomputation.
    public static let defaultLayerRecomputeAboveBytes = 4 << 30

    /// Which saved copy layer `l` uses (the one shared copy without a backward pass, or when
    /// layers are recomputed).
    @inline(__always) func slot(_ l: Int) -> Int { savesForBackward && recomputation != .layer ? l : 0 }
    /// Which gate/up copy layer `l` uses (one shared copy when they are recomputed).
    @inline(__always) func mlpSlot(_ l: Int) -> Int { recomputation == .none ? slot(l) : 0 }
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

    /// Bytes of the backward pass's gradient scratch (`DecoderGradients`) for `rows` rows.
    public static func backwardScratchBytes(config c: LlamaConfig, rows n: Int) -> Int {
        4 * n * (2 * c.hiddenSize + 2 * c.queryWidth + 2 * c.keyValueWidth + 3 * c.intermediateSize)
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
