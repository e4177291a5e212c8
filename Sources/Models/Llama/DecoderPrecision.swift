import Engine

/// bf16 copies of a decoder's frozen weights: each layer's seven projections and the LM head,
/// packed once for oneDNN (`BF16Linear`). The float32 weights stay the source of truth.
final class BF16DecoderWeights: @unchecked Sendable {
    /// [layer][projection index in `Projection.allCases`]
    let layers: [[BF16Linear]]
    let output: BF16Linear

    init(_ w: LlamaWeights) throws {
        let c = w.config
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

    var packedBytes: Int { layers.joined().reduce(output.packedBytes) { $0 + $1.packedBytes } }
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
