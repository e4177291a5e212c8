import Foundation
import Engine

// HydraLoRA on one frozen projection (Tian et al. 2024, "HydraLoRA: An Asymmetric LoRA Architecture
// for Efficient Fine-Tuning"): one shared down-projection A, H up-projection heads B_i, and a
// per-token softmax router on the layer input:
//   p = softmax(x W_rᵀ)                        (per row, over the H heads)
//   y += scale · Σ_i p_i · B_i (m_i ⊙ (A x))     (m_i = per-head dropout mask, R-LoRA; 1 otherwise)
//
// Shapes legend (row-major, N = rows = batch·seqLen, H = heads, r = rank):
//   x [N, in] (row stride ldx)     y, dy [N, out] (row stride ldy)     dx [N, in] (row stride lddx)
//   A, dA [r, in]                  B_i, dB_i [out, r] (one pointer per head)
//   W_r, dW_r [H, in]              probs [N, H] (saved)                xa = x Aᵀ [N, r] (saved)
//   headMasks [H, N, r] (inverted-dropout masks holding 0 or 1/(1-p); nil = no dropout)
//   scratch: Scratch(rows: N, rank: r, heads: H)

public enum HydraLoRALayer {
    public struct Shapes: Sendable {
        public let rows: Int, inFeatures: Int, outFeatures: Int, rank: Int, heads: Int
        public init(rows: Int, inFeatures: Int, outFeatures: Int, rank: Int, heads: Int) {
            self.rows = rows; self.inFeatures = inFeatures; self.outFeatures = outFeatures
            self.rank = rank; self.heads = heads
        }
    }

    /// Work buffers of one call (contents are not needed between calls).
    public final class Scratch: @unchecked Sendable {
        /// p_i ⊙ m_i ⊙ xa for one head, [N, r]; in backward the per-head gradient g_i = scale · dy B_i.
        let headInput: Tensor
        /// dL/d(xa), [N, r].
        let dxa: Tensor
        /// dL/d(router logits), [N, H].
        let dLogits: Tensor
        public let rows: Int, rank: Int, heads: Int
        public init(rows: Int, rank: Int, heads: Int) {
            self.rows = rows; self.rank = rank; self.heads = heads
            headInput = Tensor(shape: [max(rows, 1), rank]); dxa = Tensor(shape: [max(rows, 1), rank])
            dLogits = Tensor(shape: [max(rows, 1), heads])
        }
        func check(_ s: Shapes) {
            precondition(s.rows <= rows && s.rank == rank && s.heads == heads, "HydraLoRALayer: scratch is too small for \(s)")
        }
    }

    /// `y += scale · Σ_i p_i B_i (m_i ⊙ x Aᵀ)`; writes `probs` (=) and `xa` (=) for the backward pass.
    public static func forward(_ s: Shapes, x: UnsafePointer<Float>, ldx: Int,
                               a: UnsafePointer<Float>, heads b: [UnsafePointer<Float>], router: UnsafePointer<Float>,
                               scale: Float, headMasks: UnsafePointer<Float>?,
                               y: UnsafeMutablePointer<Float>, ldy: Int,
                               probs: UnsafeMutablePointer<Float>, xa: UnsafeMutablePointer<Float>, scratch: Scratch) {
        precondition(b.count == s.heads, "HydraLoRALayer: \(b.count) heads given, \(s.heads) expected")
        scratch.check(s)
        let n = s.rows, r = s.rank, h = s.heads
        // Router: logits = x W_rᵀ, then a row softmax in place.
        BLAS.sgemm(transA: false, transB: true, m: n, n: h, k: s.inFeatures, a: x, lda: ldx, b: router, ldb: s.inFeatures,
                   beta: 0, c: probs, ldc: h)
        for row in 0..<n { softmaxInPlace(probs + row * h, count: h) }
        // Shared down-projection.
        BLAS.sgemm(transA: false, transB: true, m: n, n: r, k: s.inFeatures, a: x, lda: ldx, b: a, ldb: s.inFeatures,
                   beta: 0, c: xa, ldc: r)
        let u = scratch.headInput.data
        for i in 0..<h {
            headInput(i, s, probs: probs, xa: xa, headMasks: headMasks, into: u)
            BLAS.sgemm(transA: false, transB: true, m: n, n: s.outFeatures, k: r, alpha: scale,
                       a: u, lda: r, b: b[i], ldb: r, beta: 1, c: y, ldc: ldy)
        }
    }

    /// Backward of `forward` for the upstream gradient `dy`. Everything ACCUMULATES (`+=`):
    ///   dB_i += scale · dyᵀ (p_i m_i xa)           g_i = scale · dy B_i
    ///   dp_i  = Σ_j g_i m_i xa                      d(xa) = Σ_i p_i m_i g_i
    ///   dA   += d(xa)ᵀ x                            dx += d(xa) A
    ///   dz    = p ⊙ (dp − Σ_k p_k dp_k)   (softmax) dW_r += dzᵀ x,  dx += dz W_r
    /// Parameter gradients that are nil are skipped (a frozen copy, e.g. R-LoRA's initial heads, only needs dx).
    public static func backward(_ s: Shapes, x: UnsafePointer<Float>, ldx: Int, dy: UnsafePointer<Float>, ldy: Int,
                                a: UnsafePointer<Float>, heads b: [UnsafePointer<Float>], router: UnsafePointer<Float>,
                                scale: Float, headMasks: UnsafePointer<Float>?,
                                probs: UnsafePointer<Float>, xa: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, lddx: Int,
                                dA: UnsafeMutablePointer<Float>?, dHeads: [UnsafeMutablePointer<Float>]?,
                                dRouter: UnsafeMutablePointer<Float>?, scratch: Scratch) {
        scratch.check(s)
        let n = s.rows, r = s.rank, h = s.heads
        let u = scratch.headInput.data, dxa = scratch.dxa.data, dz = scratch.dLogits.data
        dxa.update(repeating: 0, count: n * r)
        for i in 0..<h {
            if let dHeads {
                headInput(i, s, probs: probs, xa: xa, headMasks: headMasks, into: u)
                BLAS.sgemm(transA: true, transB: false, m: s.outFeatures, n: r, k: n, alpha: scale,
                           a: dy, lda: ldy, b: u, ldb: r, beta: 1, c: dHeads[i], ldc: r)
            }
            // g_i = scale · dy B_i  (reuses u).
            BLAS.sgemm(transA: false, transB: false, m: n, n: r, k: s.outFeatures, alpha: scale,
                       a: dy, lda: ldy, b: b[i], ldb: r, beta: 0, c: u, ldc: r)
            let mask = headMasks.map { $0 + i * n * r }
            for row in 0..<n {
                let g = u + row * r, z = xa + row * r, d = dxa + row * r
                let p = probs[row * h + i]
                var dp: Float = 0
                if let m = mask.map({ $0 + row * r }) {
                    for j in 0..<r { let gm = g[j] * m[j]; dp += gm * z[j]; d[j] += p * gm }
                } else {
                    for j in 0..<r { dp += g[j] * z[j]; d[j] += p * g[j] }
                }
                dz[row * h + i] = dp
            }
        }
        // Softmax backward, row by row: dz ← p ⊙ (dp − p·dp).
        for row in 0..<n {
            let p = probs + row * h, d = dz + row * h
            var dot: Float = 0
            for i in 0..<h { dot += p[i] * d[i] }
            for i in 0..<h { d[i] = p[i] * (d[i] - dot) }
        }
        if let dA {
            BLAS.sgemm(transA: true, transB: false, m: r, n: s.inFeatures, k: n, a: dxa, lda: r, b: x, ldb: ldx,
                       beta: 1, c: dA, ldc: s.inFeatures)
        }
        if let dRouter {
            BLAS.sgemm(transA: true, transB: false, m: h, n: s.inFeatures, k: n, a: dz, lda: h, b: x, ldb: ldx,
                       beta: 1, c: dRouter, ldc: s.inFeatures)
        }
        if let dx {
            BLAS.sgemm(transA: false, transB: false, m: n, n: s.inFeatures, k: r, a: dxa, lda: r, b: a, ldb: s.inFeatures,
                       beta: 1, c: dx, ldc: lddx)
            BLAS.sgemm(transA: false, transB: false, m: n, n: s.inFeatures, k: h, a: dz, lda: h, b: router, ldb: s.inFeatures,
                       beta: 1, c: dx, ldc: lddx)
        }
    }

    /// u = p_i ⊙ m_i ⊙ xa for head i ([N, r]).
    static func headInput(_ i: Int, _ s: Shapes, probs: UnsafePointer<Float>, xa: UnsafePointer<Float>,
                          headMasks: UnsafePointer<Float>?, into u: UnsafeMutablePointer<Float>) {
        let n = s.rows, r = s.rank, h = s.heads
        for row in 0..<n {
            let p = probs[row * h + i], z = xa + row * r, o = u + row * r
            if let m = headMasks.map({ $0 + i * n * r + row * r }) {
                for j in 0..<r { o[j] = p * m[j] * z[j] }
            } else {
                for j in 0..<r { o[j] = p * z[j] }
            }
        }
    }

    /// Numerically stable softmax of a short vector (router / gate logits), in place.
    public static func softmaxInPlace(_ v: UnsafeMutablePointer<Float>, count: Int) {
        var mx = -Float.infinity
        for i in 0..<count { mx = max(mx, v[i]) }
        var sum: Double = 0
        for i in 0..<count { let e = Float(Foundation.exp(Double(v[i] - mx))); v[i] = e; sum += Double(e) }
        let inv = Float(1 / sum)
        for i in 0..<count { v[i] *= inv }
    }
}
