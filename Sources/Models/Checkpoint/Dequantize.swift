import Engine

/// Block dequantization of ggml formats to float32, bit-exact with ggml's reference
/// `dequantize_row_*` (and gguf-py): each value is one float32 multiply (and one add for formats
/// with a min), rounded exactly as numpy/C do it — never fused.
///
/// Shapes legend: a tensor of `count` elements is `count / blockSize` blocks laid out back to back.
public enum Dequantize {
    /// Dequantizes `count` elements of `type` from `source` into `destination`, in parallel over blocks.
    public static func run(_ type: GGMLType, _ source: UnsafeRawBufferPointer,
                           into destination: UnsafeMutablePointer<Float>, count: Int) {
        let (blockSize, bytesPerBlock) = type.layout
        let blocks = count / blockSize
        precondition(source.count >= blocks * bytesPerBlock, "dequantize: \(source.count) bytes for \(blocks) \(type.name) blocks")
        let base = source.baseAddress!
        Parallel.forEachChunk(blocks, costPerItem: blockSize) { range in
            for b in range { block(type, base + b * bytesPerBlock, destination + b * blockSize) }
        }
    }

    /// Dequantizes rows of a `[rows, cols]` matrix stored row after row (`rowBytes` each, a whole
    /// number of blocks): destination row `i` gets stored row `rowOrder?[first + i] ?? first + i`
    /// for `i` in `0..<count`. Each block is decoded exactly as `run` decodes it, so the values are
    /// the same bits whatever the row order or split. Runs on the calling thread.
    public static func rows(_ type: GGMLType, _ base: UnsafeRawPointer, rowBytes: Int, cols: Int,
                            rowOrder: [Int]?, first: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        let (blockSize, bytesPerBlock) = type.layout
        let blocksPerRow = cols / blockSize
        for i in 0..<count {
            let stored = rowOrder?[first + i] ?? first + i
            let row = base + stored * rowBytes, out = destination + i * cols
            for b in 0..<blocksPerRow { block(type, row + b * bytesPerBlock, out + b * blockSize) }
        }
    }

    /// One block of `type` at `block` into `out` (`blockSize` floats).
    @inline(__always) static func block(_ type: GGMLType, _ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32: out.pointee = Float(bitPattern: block.loadUnaligned(as: UInt32.self))
        case .f16: out.pointee = half(block, 0)
        case .bf16: out.pointee = Float(bitPattern: UInt32(block.loadUnaligned(as: UInt16.self)) << 16)
        case .q8_0: q8_0(block, out)
        case .q4_0: q4_0(block, out)
        case .q4_1: q4_1(block, out)
        case .q5_0: q5_0(block, out)
        case .q5_1: q5_1(block, out)
        case .q4_K: q4_K(block, out)
        case .q5_K: q5_K(block, out)
        case .q6_K: q6_K(block, out)
        default: preconditionFailure("dequantize: \(type.name) is not supported (callers check isSupported)")
        }
    }

    @inline(__always) static func half(_ p: UnsafeRawPointer, _ byteOffset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: byteOffset, as: UInt16.self)))
    }
    @inline(__always) static func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 { p.load(fromByteOffset: i, as: UInt8.self) }

    /// Q8_0: f16 d, 32 × int8 q; x = d·q.
    @inline(__always) static func q8_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0)
        for i in 0..<32 { y[i] = d * Float(b.load(fromByteOffset: 2 + i, as: Int8.self)) }
    }

    /// Q4_0: f16 d, 16 bytes of nibbles (low nibble = element i, high = element i+16); x = d·(q−8).
    @inline(__always) static func q4_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0)
        for i in 0..<16 {
            let q = byte(b, 2 + i)
            y[i] = d * Float(Int(q & 0x0F) - 8)
            y[i + 16] = d * Float(Int(q >> 4) - 8)
        }
    }

    /// Q4_1: f16 d, f16 m, 16 bytes of nibbles; x = d·q + m.
    @inline(__always) static func q4_1(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), m = half(b, 2)
        for i in 0..<16 {
            let q = byte(b, 4 + i)
            let lo = d * Float(q & 0x0F), hi = d * Float(q >> 4)
            y[i] = lo + m
            y[i + 16] = hi + m
        }
    }

    /// Q5_0: f16 d, u32 qh (5th bits), 16 bytes of nibbles; x = d·(q−16).
    @inline(__always) static func q5_0(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0)
        let qh = b.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
        for i in 0..<16 {
            let q = byte(b, 6 + i)
            let h0 = Int((qh >> UInt32(i)) & 1) << 4, h1 = Int((qh >> UInt32(i + 16)) & 1) << 4
            y[i] = d * Float((Int(q & 0x0F) | h0) - 16)
            y[i + 16] = d * Float((Int(q >> 4) | h1) - 16)
        }
    }

    /// Q5_1: f16 d, f16 m, u32 qh, 16 bytes of nibbles; x = d·q + m.
    @inline(__always) static func q5_1(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), m = half(b, 2)
        let qh = b.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        for i in 0..<16 {
            let q = byte(b, 8 + i)
            let h0 = Int((qh >> UInt32(i)) & 1) << 4, h1 = Int((qh >> UInt32(i + 16)) & 1) << 4
            let lo = d * Float(Int(q & 0x0F) | h0), hi = d * Float(Int(q >> 4) | h1)
            y[i] = lo + m
            y[i + 16] = hi + m
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) of a Q4_K/Q5_K block (12 packed bytes).
    @inline(__always) static func scaleMinK4(_ j: Int, _ s: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (byte(s, j) & 63, byte(s, j + 4) & 63)
        }
        let sc = (byte(s, j + 4) & 0x0F) | ((byte(s, j - 4) >> 6) << 4)
        let mn = (byte(s, j + 4) >> 4) | ((byte(s, j) >> 6) << 4)
        return (sc, mn)
    }

    /// Q4_K (256 per block): f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles.
    /// Eight sub-blocks of 32: x = (d·scale)·q − (dmin·min).
    @inline(__always) static func q4_K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), dmin = half(b, 2)
        let scales = b + 4
        var q = b + 16
        var out = y
        for pair in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * pair, scales), (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            for l in 0..<32 { out[l] = d1 * Float(byte(q, l) & 0x0F) - min1 }
            for l in 0..<32 { out[32 + l] = d2 * Float(byte(q, l) >> 4) - min2 }
            q += 32
            out += 64
        }
    }

    /// Q5_K (256 per block): f16 d, f16 dmin, 12 scale bytes, 32 bytes of high bits, 128 bytes of nibbles.
    @inline(__always) static func q5_K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 0), dmin = half(b, 2)
        let scales = b + 4
        let qh = b + 16
        var ql = b + 48
        var out = y
        var u1: UInt8 = 1, u2: UInt8 = 2
        for pair in 0..<4 {
            let (sc1, m1) = scaleMinK4(2 * pair, scales), (sc2, m2) = scaleMinK4(2 * pair + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            for l in 0..<32 {
                let high: UInt8 = byte(qh, l) & u1 != 0 ? 16 : 0
                out[l] = d1 * Float((byte(ql, l) & 0x0F) + high) - min1
            }
            for l in 0..<32 {
                let high: UInt8 = byte(qh, l) & u2 != 0 ? 16 : 0
                out[32 + l] = d2 * Float((byte(ql, l) >> 4) + high) - min2
            }
            ql += 32
            out += 64
            u1 <<= 2
            u2 <<= 2
        }
    }

    /// Q6_K (256 per block): 128 bytes low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, f16 d.
    /// x = d·scale·(q − 32), sixteen sub-blocks of 16.
    @inline(__always) static func q6_K(_ b: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(b, 208)
        var ql = b, qh = b + 128
        var sc = b + 192
        var out = y
        for _ in 0..<2 {
            for l in 0..<32 {
                let s = l / 16
                let h = byte(qh, l)
                let q1 = Int((byte(ql, l) & 0x0F) | ((h >> 0) & 3) << 4) - 32
                let q2 = Int((byte(ql, l + 32) & 0x0F) | ((h >> 2) & 3) << 4) - 32
                let q3 = Int((byte(ql, l) >> 4) | ((h >> 4) & 3) << 4) - 32
                let q4 = Int((byte(ql, l + 32) >> 4) | ((h >> 6) & 3) << 4) - 32
                out[l] = d * Float(sc.load(fromByteOffset: s, as: Int8.self)) * Float(q1)
                out[l + 32] = d * Float(sc.load(fromByteOffset: s + 2, as: Int8.self)) * Float(q2)
                out[l + 64] = d * Float(sc.load(fromByteOffset: s + 4, as: Int8.self)) * Float(q3)
                out[l + 96] = d * Float(sc.load(fromByteOffset: s + 6, as: Int8.self)) * Float(q4)
            }
            out += 128
            ql += 64
            qh += 32
            sc += 8
        }
    }
}
