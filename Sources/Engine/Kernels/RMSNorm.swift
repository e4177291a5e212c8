// RMSNorm: out = x * rsqrt(mean(x^2) + eps) * w, per row.
// Shapes: inp, out, dout, dinp [N, C] (N = B*T rows, C channels); weight, dweight [C]; rstd [N].

import Foundation

public enum RMSNorm {
    /// `out = inp * rstd * weight` (`=`), and saves `rstd[i] = 1/sqrt(mean(inp[i]^2) + eps)` for backward.
    /// `out` must not alias `inp` (backward needs `inp`).
    public static func forward(out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               rows n: Int, channels c: Int, eps: Float) {
        Parallel.forEachChunk(n, costPerItem: 3 * c) { rows in
            for i in rows {
                let x = inp + i * c, y = out + i * c
                let ms = Float(sumSquares(x, c) / Double(c))
                let r = 1 / (ms + eps).squareRoot()
                rstd[i] = r
                var j = 0
                let vr = SIMD16<Float>(repeating: r)
                while j + 16 <= c { storeVector(loadVector(x + j) * vr * loadVector(weight + j), y + j); j += 16 }
                while j < c { y[j] = x[j] * r * weight[j]; j += 1 }
            }
        }
    }

    /// Gradient w.r.t. the input, ACCUMULATED: `dinp += d(out)/d(inp)^T dout`.
    /// With g = dout * w: dinp += rstd * (g - inp * rstd^2 * mean(g * inp)).
    /// `dweight` (if non-nil) is also accumulated: `dweight += sum_rows dout * inp * rstd`; pass nil for a frozen norm.
    public static func backward(dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, rows n: Int, channels c: Int) {
        Parallel.forEachChunk(n, costPerItem: 4 * c) { rows in
            for i in rows {
                let x = inp + i * c, dy = dout + i * c, dx = dinp + i * c
                let r = rstd[i]
                var dot = SIMD16<Float>(repeating: 0)
                var j = 0
                while j + 16 <= c { dot += loadVector(dy + j) * loadVector(weight + j) * loadVector(x + j); j += 16 }
                var dotTail: Float = 0
                while j < c { dotTail += dy[j] * weight[j] * x[j]; j += 1 }
                let meanGX = (dot.sum() + dotTail) / Float(c)
                let k = r * r * r * meanGX
                let vr = SIMD16<Float>(repeating: r), vk = SIMD16<Float>(repeating: k)
                j = 0
                while j + 16 <= c {
                    let g = loadVector(dy + j) * loadVector(weight + j)
                    storeVector(loadVector(UnsafePointer(dx + j)) + vr * g - vk * loadVector(x + j), dx + j)
                    j += 16
                }
                while j < c { dx[j] += r * dy[j] * weight[j] - k * x[j]; j += 1 }
            }
        }
        if let dw = dweight {
            // Column-parallel so each thread owns a disjoint slice of dweight (no reduction scratch needed).
            Parallel.forEachChunk(c, costPerItem: 2 * n) { cols in
                for i in 0..<n {
                    let x = inp + i * c, dy = dout + i * c, r = rstd[i]
                    for j in cols { dw[j] += dy[j] * x[j] * r }
                }
            }
        }
    }

    @inline(__always) static func sumSquares(_ x: UnsafePointer<Float>, _ c: Int) -> Double {
        var acc = SIMD16<Float>(repeating: 0)
        var j = 0
        while j + 16 <= c { let v = loadVector(x + j); acc += v * v; j += 16 }
        var tail: Float = 0
        while j < c { tail += x[j] * x[j]; j += 1 }
        return Double(acc.sum()) + Double(tail)
    }
}
