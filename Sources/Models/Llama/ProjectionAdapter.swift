import Engine

/// Where the rows of the current batch come from, for adapters that treat sequences differently
/// (per-task adapter copies in batched MeTA-LoRA, task-conditioned gates in LoRA-MoE).
public struct BatchLayout: Sendable {
    public let batch: Int
    public let seqLen: Int
    /// Group (task / adapter copy) of each sequence.
    public let sequenceGroups: [Int]
    public var rows: Int { batch * seqLen }
    public init(batch: Int, seqLen: Int, sequenceGroups: [Int]) {
        self.batch = batch; self.seqLen = seqLen; self.sequenceGroups = sequenceGroups
    }
}

/// A trainable path added to frozen projections: `y += Δ(x)` (LoRA, HydraLoRA, LoRA-MoE, …).
///
/// The decoder calls `forward` after each frozen projection it targets and `backward` in reverse
/// order. Implementations keep their own per-batch activations (sized in `prepare`) and
/// accumulate their own parameter gradients. `x` rows have stride `ldx`, `y`/`dy` stride `ldy`.
public protocol ProjectionAdapter: AnyObject {
    /// Whether layer `layer`'s projection `projection` has an adapter.
    func targets(layer: Int, projection: Projection) -> Bool
    /// Called once per forward with the batch about to run (allocate or reuse activation storage).
    func prepare(layout: BatchLayout, training: Bool)
    /// `y += Δ(x)` for all rows.
    func forward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                 y: UnsafeMutablePointer<Float>, ldy: Int, layout: BatchLayout, training: Bool)
    /// Accumulates the adapter's parameter gradients and `dx += ∂Δ/∂x · dy`.
    func backward(layer: Int, projection: Projection, x: UnsafePointer<Float>, ldx: Int,
                  dy: UnsafePointer<Float>, ldy: Int, dx: UnsafeMutablePointer<Float>, lddx: Int, layout: BatchLayout)
}
