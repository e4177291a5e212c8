import Engine

/// Float32 → ggml block encodings, for writing checkpoints (`synth-checkpoint`). The blocks follow
/// ggml's layouts exactly (what `Dequantize` and llama.cpp read); the choice of scales is a
/// simple round-to-nearest one, not ggml's iterative search, which only affects how close the
/// decoded values come to the input, not the validity of the blocks.
public enum Quantize {
    public static let supported: [GGMLType] = [.q8_0, .q4_K]

    /// Encodes `values` (a whole number of blocks) as `type`.
    public static func run(_ type: GGMLType, _ values: UnsafePointer<Float>, count: Int) -> [UInt8] {
        let (blockSize, bytesPerBlock) = type.layout
        precondition(count % blockSize == 0, "quantize: \(count) values are not whole \(type.name) blocks")
        let blocks = count / blockSize
        var out = [UInt8](repeating: 0, count: blocks * bytesPerBlock)
        out.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!
            Parallel.forEachChunk(blocks, costPerItem: blockSize) { range in
                for b in range {
                    let x = values + b * blockSize, y = base + b * bytesPerBlock
                    switch type {
                    case .q8_0: q8_0(x, y)
                    case .q4_K: q4_K(x, y)
                    default: preconditionFailure("quantize: \(type.name) is not supported (supported: \(supported.map(\.name)))")
                    }
                }
            }
        }
        return out
    }

    @inline(__always) static func storeHalf(_ v: Float, _ p: UnsafeMutableRawPointer, _ offset: Int) -> Float {
        let h = Float16(v)
        p.storeBytes(of: h.bitPattern.littleEndian, toByteOffset: offset, as: UInt16.self)
        return Float(h)
    }

    /// Q8_0 as ggml's `quantize_row_q8_0_ref`: d = max|x|/127 (stored f16), q = round(x/d).
    static func q8_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for i in 0..<32 { amax = max(amax, abs(x[i])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        _ = storeHalf(d, y, 0)
        for i in 0..<32 {
            let q = Int8(clamping: Int((x[i] * id).rounded(.toNearestOrAwayFromZero)))
            y.storeBytes(of: q, toByteOffset: 2 + i, as: Int8.self)
        }
    }

    /// Q4_K: eight sub-blocks of 32, each x ≈ (d·sc)·q − (dmin·m) with 6-bit sc, m and 4-bit q.
    /// Per sub-block: m covers the most negative value, sc the range over 15 steps; d and dmin
    /// (f16) scale the largest sc and m to 63.
    static func q4_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var scales = [Float](repeating: 0, count: 8), mins = [Float](repeating: 0, count: 8)
        for j in 0..<8 {
            var lo = Float.infinity, hi = -Float.infinity
            for l in 0..<32 { lo = min(lo, x[32 * j + l]); hi = max(hi, x[32 * j + l]) }
            mins[j] = max(0, -lo)
            scales[j] = (hi + mins[j]) / 15
        }
        let d = storeHalf((scales.max() ?? 0) / 63, y, 0)
        let dmin = storeHalf((mins.max() ?? 0) / 63, y, 2)
        var ls = [UInt8](repeating: 0, count: 8), lm = [UInt8](repeating: 0, count: 8)
        for j in 0..<8 {
            ls[j] = d > 0 ? UInt8(clamping: Int((scales[j] / d).rounded())) : 0
            lm[j] = dmin > 0 ? UInt8(clamping: Int((mins[j] / dmin).rounded())) : 0
            ls[j] = min(ls[j], 63); lm[j] = min(lm[j], 63)
        }
        // 12 scale bytes, packed as ggml's get_scale_min_k4 unpacks them.
        let s = y + 4
        for j in 0..<12 { s.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
        func or(_ i: Int, _ v: UInt8) { s.storeBytes(of: s.load(fromByteOffset: i, as: UInt8.self) | v, toByteOffset: i, as: UInt8.self) }
        for j in 0..<8 {
            if j < 4 {
                or(j, ls[j]); or(j + 4, lm[j])
            } else {
                or(j + 4, (ls[j] & 0x0F) | ((lm[j] & 0x0F) << 4))
                or(j - 4, (ls[j] >> 4) << 6)
                or(j, (lm[j] >> 4) << 6)
            }
        }
        var q = [UInt8](repeating: 0, count: 256)
        for j in 0..<8 {
            let step = d * Float(ls[j]), offset = dmin * Float(lm[j])
            for l in 0..<32 {
                let v = step > 0 ? ((x[32 * j + l] + offset) / step).rounded() : 0
                q[32 * j + l] = UInt8(max(0, min(15, Int(v))))
            }
        }
        for pair in 0..<4 {
            for l in 0..<32 {
                y.storeBytes(of: q[64 * pair + l] | (q[64 * pair + 32 + l] << 4), toByteOffset: 16 + 32 * pair + l, as: UInt8.self)
            }
        }
    }
}
