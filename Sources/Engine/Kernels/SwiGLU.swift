// SwiGLU gate of the LLaMA MLP: out = silu(gate) * up, silu(g) = g * sigmoid(g).
// exp is the engine's vectorised fastExp (~1 ulp); exp(-g) saturates for g < -88, giving silu = -0.
// Shapes: gate, up, out, dout, dgate, dup [N, H] (N = B*T rows, H ffn hidden), passed as flat counts N*H.

import Foundation

public enum SwiGLU {
    /// `out = silu(gate) * up` (`=`).
    public static func forward(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Elementwise.forEachBlock(count) { lo, hi in
            var i = lo
            while i + 16 <= hi {
                let g = loadVector(gate + i)
                storeVector(g / (1 + fastExp16(-g)) * loadVector(up + i), out + i)
                i += 16
            }
            while i < hi { let g = gate[i]; out[i] = g / (1 + fastExp(-g)) * up[i]; i += 1 }
        }
    }

    /// Writes (`=`) `dgate = dout * up * sigmoid(g) * (1 + g * (1 - sigmoid(g)))` and `dup = dout * silu(g)`.
    /// Element-wise, tile by tile (all loads of a 16-element tile precede its stores), so `dgate` may alias
    /// `gate` or `dout`, and `dup` may alias `up` (saves two [N, H] buffers).
    public static func backward(dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        Elementwise.forEachBlock(count) { lo, hi in
            var i = lo
            while i + 16 <= hi {
                let g = loadVector(gate + i), u = loadVector(up + i), dy = loadVector(dout + i)
                let s = 1 / (1 + fastExp16(-g))
                storeVector(dy * u * s * (1 + g * (1 - s)), dgate + i)
                storeVector(dy * g * s, dup + i)
                i += 16
            }
            while i < hi {
                let g = gate[i], u = up[i], dy = dout[i]
                let s = 1 / (1 + fastExp(-g))
                dgate[i] = dy * u * s * (1 + g * (1 - s))
                dup[i] = dy * g * s
                i += 1
            }
        }
    }
}
