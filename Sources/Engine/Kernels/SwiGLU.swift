// SwiGLU gate of the LLaMA MLP: out = silu(gate) * up, silu(g) = g * sigmoid(g).
// exp is the engine's vectorised exp (VectorKernels, ~2 ulp); exp(-g) saturates for g < -88, giving silu = -0.
// Shapes: gate, up, out, dout, dgate, dup [N, H] (N = B*T rows, H ffn hidden), passed as flat counts N*H.

import Foundation

public enum SwiGLU {
    /// `out = silu(gate) * up` (`=`).
    public static func forward(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        forEachTile(count) { lo, hi, e in
            swiGLUTile(out: out + lo, gate: gate + lo, up: up + lo, hi - lo, scratch: e)
        }
    }

    /// Writes (`=`) `dgate = dout * up * sigmoid(g) * (1 + g * (1 - sigmoid(g)))` and `dup = dout * silu(g)`.
    /// Element-wise, 16 lanes at a time with all loads of a lane group before its stores, so `dgate` may
    /// alias `gate` or `dout`, and `dup` may alias `up` (saves two [N, H] buffers).
    public static func backward(dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        forEachTile(count) { lo, hi, e in
            expNegated(e, gate + lo, hi - lo)
            var i = lo
            while i + 16 <= hi {
                let g = loadVector(gate + i), u = loadVector(up + i), dy = loadVector(dout + i)
                let s = 1 / (1 + loadVector(e + i - lo))
                storeVector(dy * u * s * (1 + g * (1 - s)), dgate + i)
                storeVector(dy * g * s, dup + i)
                i += 16
            }
            while i < hi {
                let g = gate[i], u = up[i], dy = dout[i]
                let s = 1 / (1 + e[i - lo])
                dgate[i] = dy * u * s * (1 + g * (1 - s))
                dup[i] = dy * g * s
                i += 1
            }
        }
    }

    /// Splits 0..<count into tiles of 256 across threads, each with a 256-float stack buffer for exp(-gate)
    /// (separate from every argument, so the exp loop vectorises whatever the callers alias).
    static func forEachTile(_ count: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        Elementwise.forEachBlock(count) { lo, hi in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { buffer in
                var t = lo
                while t < hi {
                    let end = min(hi, t + 256)
                    body(t, end, buffer.baseAddress!)
                    t = end
                }
            }
        }
    }
}
