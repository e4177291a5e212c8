import Engine
import Foundation

/// bf16 copies of a decoder's frozen weights: each layer's seven projections and the LM head,
/// packed once for oneDNN (`BF16Linear`). The float32 weights stay the source of truth.
final class BF16DecoderWeights: @unchecked Sendable {
    /// [layer][projection index in `Projection.allCases`]
    let layers: [[BF16Linear]]
    let output: BF16Linear
    /// Per layer, W for the input gradient of q|k|v and of gate|up as one product each
    /// (dx = [dq|dk|dv] · [Wq; Wk; Wv]), packed on the first backward: one K = 960 (or 2H) product
    /// instead of three (two) accumulating ones, which made the bf16 backward's linear part slower
    /// than its forward at the same flop count.
    private var stackedBackward: [[ProjectionGroup: BF16PackedMatrix]]
    private let stackedLock = NSLock()
    private let weights: LlamaWeights

    enum ProjectionGroup: Hashable, CaseIterable {
        case qkv, gateUp
        var members: [Projection] { self == .qkv ? [.q, .k, .v] : [.gate, .up] }
    }

    init(_ w: LlamaWeights) throws {
        let c = w.config
        weights = w
        stackedBackward = Array(repeating: [:], count: w.layers.count)
        layers = try w.layers.map { layer in
            try Projection.allCases.map { p in
                let (out, inp) = p.shape(c)
                return try BF16Linear(weight: layer.weight(p), outFeatures: out, inFeatures: inp)
            }
        }
        output = try BF16Linear(weight: w.output.data, outFeatures: c.vocabularySize, inFeatures: c.hiddenSize)
    }

    @inline(__always)
    func projection(_ l: Int, _ p: Projection) -> BF16Linear { layers[l][Projection.indexOf(p)] }

    /// The stacked W of `group` in layer `l` as the right operand of dx = [dy₁ | dy₂ | …] · W.
    func stackedBackwardPack(_ l: Int, _ group: ProjectionGroup) -> BF16PackedMatrix {
        stackedLock.lock(); defer { stackedLock.unlock() }
        if let p = stackedBackward[l][group] { return p }
        let c = weights.config, layer = weights.layers[l]
        let rows = group.members.reduce(0) { $0 + $1.shape(c).out }
        do {
            // Float32 residency stores each group stacked ([960, C], [2H, C]), the first member's
            // weight pointer being the stack's start (LlamaLayerWeights).
            let p = try BF16PackedMatrix(source: layer.weight(group.members[0]), k: rows, n: c.hiddenSize,
                                         rowStride: c.hiddenSize, columnStride: 1)
            stackedBackward[l][group] = p
            return p
        } catch {
            // The same library packed this layer's forward copies, so this is an internal failure (memory).
            preconditionFailure("BF16DecoderWeights: packing layer \(l)'s stacked \(group) backward copy failed: \(error)")
        }
    }

    var packedBytes: Int {
        stackedLock.lock(); defer { stackedLock.unlock() }
        let stacked = stackedBackward.joined().reduce(0) { $0 + $1.value.packedBytes }
        return layers.joined().reduce(output.packedBytes + stacked) { $0 + $1.packedBytes }
    }
}

extension Projection {
    @inline(__always)
    static func indexOf(_ p: Projection) -> Int {
        switch p {
        case .q: return 0
        case .k: return 1
        case .v: return 2
        case .o: return 3
        case .gate: return 4
        case .up: return 5
        case .down: return 6
        }
    }
}

extension LlamaDecoder {
    /// Sets the arithmetic of the frozen weights' products (`Precision`). `.bf16` checks the CPU
    /// first (the error names the missing feature; nothing falls back to float32) and packs the
    /// current float32 weights, so call it again after changing them in place (merging an adapter).
    public func setPrecision(_ precision: Precision) throws {
        try precision.requireAvailable()
        if precision == .bf16 && weights.residency == .resident {
            // The bf16 path multiplies pre-packed bf16 copies of every weight (2 bytes each, more
            // than a quantized checkpoint), packed from float32 copies that resident weights lack.
            throw DecoderError.unsupportedPrecision(precision.rawValue,
                reason: "bf16 products need the float32 weight copies they pack; load the model with --weights f32")
        }
        switch precision {
        case .f32: bf16Weights = nil
        case .bf16: bf16Weights = try BF16DecoderWeights(weights)
        }
        self.precision = precision
    }

    /// Bytes held by the bf16 copies (0 in float32).
    public var bf16PackedBytes: Int { bf16Weights?.packedBytes ?? 0 }
}
