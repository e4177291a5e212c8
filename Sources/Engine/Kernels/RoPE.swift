// Rotary position embedding, applied in place to q or k.
// Shapes: x [N, heads * HS] with N = B*T rows (row i of a batch sits at t = i % T); heads = NH for q, NKV for k;
// HS head size; D = rotaryDims <= HS (the first D channels of each head rotate, the rest pass through).
// Table: cos/sin [maxT, D/2], angle(pos, i) = pos * base^(-2i/D), computed in Double and stored as Float.

import Foundation

/// Which channel pairs rotate together.
public enum RopeLayout: String, Sendable, Codable {
    /// HF / transformers `rotate_half`: pairs (i, i + D/2).
    case rotateHalf
    /// GGUF / llama.cpp (q/k rows permuted by the converter): adjacent pairs (2i, 2i + 1).
    case interleaved
}

/// Precomputed cos/sin for positions `0..<maxT`.
public final class RopeTable: @unchecked Sendable {
    public let maxT: Int
    public let rotaryDims: Int
    public let base: Double
    /// [maxT, rotaryDims/2]
    public let cos: UnsafeMutablePointer<Float>
    public let sin: UnsafeMutablePointer<Float>

    /// `positionScale` multiplies positions (linear RoPE scaling uses 1/factor).
    public init(maxT: Int, rotaryDims: Int, base: Double, positionScale: Double = 1) {
        precondition(maxT > 0 && rotaryDims > 0 && rotaryDims % 2 == 0,
                     "RopeTable: need maxT > 0 and an even rotaryDims > 0 (got \(maxT), \(rotaryDims))")
        self.maxT = maxT; self.rotaryDims = rotaryDims; self.base = base
        let half = rotaryDims / 2
        cos = .allocate(capacity: maxT * half)
        sin = .allocate(capacity: maxT * half)
        for i in 0..<half {
            let invFreq = Foundation.pow(base, -Double(2 * i) / Double(rotaryDims))
            for p in 0..<maxT {
                let angle = Double(p) * positionScale * invFreq
                cos[p * half + i] = Float(Foundation.cos(angle))
                sin[p * half + i] = Float(Foundation.sin(angle))
            }
        }
    }

    deinit { cos.deallocate(); sin.deallocate() }
}

public enum RoPE {
    /// Rotates every head of every row in place by its position's angle. Row i has position
    /// `startPosition + i % seqLen` (right padding: positions 0..T-1 in every sequence; KV-cache
    /// continuation passes the offset of its first query).
    public static func forward(_ x: UnsafeMutablePointer<Float>, rows n: Int, seqLen: Int, heads: Int, headSize: Int,
                               table: RopeTable, layout: RopeLayout, startPosition: Int = 0) {
        rotate(x, rows: n, seqLen: seqLen, heads: heads, headSize: headSize, table: table, layout: layout,
               startPosition: startPosition, sign: 1)
    }

    /// Backward = the inverse rotation (rotation matrices are orthogonal), applied in place to the
    /// gradient w.r.t. the rotated tensor, turning it into the gradient w.r.t. the unrotated one (`=`, in place).
    public static func backward(_ dx: UnsafeMutablePointer<Float>, rows n: Int, seqLen: Int, heads: Int, headSize: Int,
                                table: RopeTable, layout: RopeLayout, startPosition: Int = 0) {
        rotate(dx, rows: n, seqLen: seqLen, heads: heads, headSize: headSize, table: table, layout: layout,
               startPosition: startPosition, sign: -1)
    }

    static func rotate(_ x: UnsafeMutablePointer<Float>, rows n: Int, seqLen: Int, heads: Int, headSize: Int,
                       table: RopeTable, layout: RopeLayout, startPosition: Int, sign: Float) {
        let d = table.rotaryDims, half = d / 2
        precondition(d <= headSize, "RoPE: rotaryDims \(d) exceeds head size \(headSize)")
        precondition(seqLen > 0 && n % seqLen == 0, "RoPE: rows \(n) is not a multiple of seqLen \(seqLen)")
        precondition(startPosition >= 0 && startPosition + seqLen <= table.maxT,
                     "RoPE: positions \(startPosition)..<\(startPosition + seqLen) exceed the table's maxT \(table.maxT)")
        let width = heads * headSize
        Parallel.forEachChunk(n, costPerItem: 3 * width) { rows in
            for i in rows {
                let pos = startPosition + i % seqLen
                let cs = table.cos + pos * half, sn = table.sin + pos * half
                for h in 0..<heads {
                    let p = x + i * width + h * headSize
                    switch layout {
                    case .rotateHalf:
                        var j = 0
                        while j + 16 <= half {
                            let c = loadVector(cs + j), s = loadVector(sn + j) * sign
                            let a = loadVector(UnsafePointer(p + j)), b = loadVector(UnsafePointer(p + half + j))
                            storeVector(a * c - b * s, p + j)
                            storeVector(b * c + a * s, p + half + j)
                            j += 16
                        }
                        while j < half {
                            let c = cs[j], s = sn[j] * sign, a = p[j], b = p[half + j]
                            p[j] = a * c - b * s
                            p[half + j] = b * c + a * s
                            j += 1
                        }
                    case .interleaved:
                        for j in 0..<half {
                            let c = cs[j], s = sn[j] * sign, a = p[2 * j], b = p[2 * j + 1]
                            p[2 * j] = a * c - b * s
                            p[2 * j + 1] = b * c + a * s
                        }
                    }
                }
            }
        }
    }
}
