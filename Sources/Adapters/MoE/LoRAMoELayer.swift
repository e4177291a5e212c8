import Engine

// LoRA-MoE / MOELoRA on one frozen projection (Liu et al. 2023, "MOELoRA: An MOE-based Parameter
// Efficient Fine-Tuning Method for Multi-task Medical Applications"): E LoRA experts, the rank split
// across them (each r_e = r / E), mixed by a task-conditioned gate — one gate per sequence:
//   e_b    = T[task(b)]                          (task embedding of sequence b)
//   gate_b = softmax(W_g e_b)                     [E]
//   y_n   += scale · Σ_i gate_{b(n),i} · B_i A_i x_n
//
// Shapes legend (row-major; Bsz = sequences, T = seqLen, N = Bsz·T rows, E = experts, r_e = expert rank):
//   x [N, in] (row stride ldx)    y, dy [N, out] (row stride ldy)    dx [N, in] (row stride lddx)
//   A_i, dA_i [r_e, in]           B_i, dB_i [out, r_e]               (one pointer per expert)
//   W_g, dW_g [E, d_e]            e, de [Bsz, d_e] (gathered task embeddings and their gradient)
//   gate [Bsz, E] (saved)         xa [E, N, r_e] (saved: xa_i = x A_iᵀ)

public enum LoRAMoELayer {
    public struct Shapes: Sendable {
        public let sequences: Int, seqLen: Int, inFeatures: Int, outFeatures: Int, expertRank: Int, experts: Int, embeddingDim: Int
        public var rows: Int { sequences * seqLen }
        public init(sequences: Int, seqLen: Int, inFeatures: Int, outFeatures: Int, expertRank: Int, experts: Int, embeddingDim: Int) {
            self.sequences = sequences; self.seqLen = seqLen; self.inFeatures = inFeatures; self.outFeatures = outFeatures
            self.expertRank = expertRank; self.experts = experts; self.embeddingDim = embeddingDim
        }
    }

    /// Work buffers of one call.
    public final class Scratch: @unchecked Sendable {
        let expertInput: Tensor   // [N, r_e]: gate-scaled xa_i (forward, dB) or g_i = scale·dy B_i (backward)
        let dxa: Tensor           // [N, r_e]
        let dGate: Tensor         // [Bsz, E]
        public let rows: Int, expertRank: Int, sequences: Int, experts: Int
        public init(rows: Int, expertRank: Int, sequences: Int, experts: Int) {
            self.rows = rows; self.expertRank = expertRank; self.sequences = sequences; self.experts = experts
            expertInput = Tensor(shape: [max(rows, 1), expertRank]); dxa = Tensor(shape: [max(rows, 1), expertRank])
            dGate = Tensor(shape: [max(sequences, 1), experts])
        }
        func check(_ s: Shapes) {
            precondition(s.rows <= rows && s.sequences <= sequences && s.expertRank == expertRank && s.experts == experts,
                         "LoRAMoELayer: scratch is too small for \(s)")
        }
    }

    /// `y += scale · Σ_i gate_{b,i} B_i A_i x`; writes `gate` (=) and `xa` (=) for the backward pass.
    public static func forward(_ s: Shapes, x: UnsafePointer<Float>, ldx: Int,
                               a: [UnsafePointer<Float>], b: [UnsafePointer<Float>],
                               gateWeight: UnsafePointer<Float>, taskEmbedding e: UnsafePointer<Float>, scale: Float,
                               y: UnsafeMutablePointer<Float>, ldy: Int,
                               gate: UnsafeMutablePointer<Float>, xa: UnsafeMutablePointer<Float>, scratch: Scratch,
                               gateGiven: Bool = false) {
        precondition(a.count == s.experts && b.count == s.experts, "LoRAMoELayer: \(a.count)/\(b.count) experts given, \(s.experts) expected")
        scratch.check(s)
        let n = s.rows, re = s.expertRank, ex = s.experts
        // Gate: logits = e W_gᵀ, softmax per sequence (unless the caller filled `gate`).
        if !gateGiven { gateForward(s, gateWeight: gateWeight, taskEmbedding: e, gate: gate) }
        let u = scratch.expertInput.data
        for i in 0..<ex {
            let xai = xa + i * n * re
            BLAS.sgemm(transA: false, transB: true, m: n, n: re, k: s.inFeatures, a: x, lda: ldx, b: a[i], ldb: s.inFeatures,
                       beta: 0, c: xai, ldc: re)
            gateScaled(i, s, gate: gate, xa: xai, into: u)
            BLAS.sgemm(transA: false, transB: true, m: n, n: s.outFeatures, k: re, alpha: scale, a: u, lda: re, b: b[i], ldb: re,
                       beta: 1, c: y, ldc: ldy)
        }
    }

    /// Backward of `forward`. Everything ACCUMULATES (`+=`):
    ///   dB_i += scale · dyᵀ (gate_i xa_i)       g_i = scale · dy B_i
    ///   dgate_{b,i} = Σ_{n∈b} g_i · xa_i        d(xa_i) = gate_{b,i} g_i
    ///   dA_i += d(xa_i)ᵀ x                      dx += d(xa_i) A_i
    ///   dz = gate ⊙ (dgate − gate·dgate)        dW_g += dzᵀ e,   de += dz W_g
    public static func backward(_ s: Shapes, x: UnsafePointer<Float>, ldx: Int, dy: UnsafePointer<Float>, ldy: Int,
                                a: [UnsafePointer<Float>], b: [UnsafePointer<Float>],
                                gateWeight: UnsafePointer<Float>, taskEmbedding e: UnsafePointer<Float>, scale: Float,
                                gate: UnsafePointer<Float>, xa: UnsafePointer<Float>,
                                dx: UnsafeMutablePointer<Float>?, lddx: Int,
                                dA: [UnsafeMutablePointer<Float>], dB: [UnsafeMutablePointer<Float>],
                                dGateWeight: UnsafeMutablePointer<Float>, dTaskEmbedding: UnsafeMutablePointer<Float>,
                                scratch: Scratch) {
        scratch.check(s)
        let n = s.rows, re = s.expertRank, ex = s.experts, t = s.seqLen
        let u = scratch.expertInput.data, dxa = scratch.dxa.data, dg = scratch.dGate.data
        for i in 0..<ex {
            let xai = xa + i * n * re
            gateScaled(i, s, gate: gate, xa: xai, into: u)
            BLAS.sgemm(transA: true, transB: false, m: s.outFeatures, n: re, k: n, alpha: scale, a: dy, lda: ldy, b: u, ldb: re,
                       beta: 1, c: dB[i], ldc: re)
            BLAS.sgemm(transA: false, transB: false, m: n, n: re, k: s.outFeatures, alpha: scale, a: dy, lda: ldy, b: b[i], ldb: re,
                       beta: 0, c: u, ldc: re)
            for q in 0..<s.sequences {
                let gq = gate[q * ex + i]
                var dot: Double = 0
                for row in (q * t)..<(q * t + t) {
                    let g = u + row * re, z = xai + row * re, d = dxa + row * re
                    for j in 0..<re { dot += Double(g[j] * z[j]); d[j] = gq * g[j] }
                }
                dg[q * ex + i] = Float(dot)
            }
            BLAS.sgemm(transA: true, transB: false, m: re, n: s.inFeatures, k: n, a: dxa, lda: re, b: x, ldb: ldx,
                       beta: 1, c: dA[i], ldc: s.inFeatures)
            if let dx {
                BLAS.sgemm(transA: false, transB: false, m: n, n: s.inFeatures, k: re, a: dxa, lda: re, b: a[i], ldb: s.inFeatures,
                           beta: 1, c: dx, ldc: lddx)
            }
        }
        for q in 0..<s.sequences {
            let p = gate + q * ex, d = dg + q * ex
            var dot: Float = 0
            for i in 0..<ex { dot += p[i] * d[i] }
            for i in 0..<ex { d[i] = p[i] * (d[i] - dot) }
        }
        BLAS.sgemm(transA: true, transB: false, m: ex, n: s.embeddingDim, k: s.sequences, a: dg, lda: ex, b: e, ldb: s.embeddingDim,
                   beta: 1, c: dGateWeight, ldc: s.embeddingDim)
        BLAS.sgemm(transA: false, transB: false, m: s.sequences, n: s.embeddingDim, k: ex, a: dg, lda: ex, b: gateWeight,
                   ldb: s.embeddingDim, beta: 1, c: dTaskEmbedding, ldc: s.embeddingDim)
    }

    /// e_b = T[task_b] (gather; `e` [Bsz, d_e], `table` [tasks, d_e]).
    public static func gatherTaskEmbeddings(table: UnsafePointer<Float>, tasks: [Int], embeddingDim d: Int, into e: UnsafeMutablePointer<Float>) {
        for (q, task) in tasks.enumerated() { (e + q * d).update(from: table + task * d, count: d) }
    }

    /// gate = softmax(e W_gᵀ) per row of `e` (`[rows, E]`, =).
    public static func gateForward(_ s: Shapes, rows: Int? = nil, gateWeight: UnsafePointer<Float>, taskEmbedding e: UnsafePointer<Float>,
                                   gate: UnsafeMutablePointer<Float>) {
        let m = rows ?? s.sequences, ex = s.experts
        BLAS.sgemm(transA: false, transB: true, m: m, n: ex, k: s.embeddingDim, a: e, lda: s.embeddingDim,
                   b: gateWeight, ldb: s.embeddingDim, beta: 0, c: gate, ldc: ex)
        for q in 0..<m { HydraLoRALayer.softmaxInPlace(gate + q * ex, count: ex) }
    }

    /// dT[task_b] += de_b (scatter-add of the per-sequence embedding gradient into the table gradient).
    public static func scatterTaskGradient(_ de: UnsafePointer<Float>, tasks: [Int], embeddingDim d: Int, into dTable: UnsafeMutablePointer<Float>) {
        for (q, task) in tasks.enumerated() { Elementwise.accumulate(dTable + task * d, de + q * d, count: d) }
    }

    /// u = gate_{b(n),i} · xa_i  ([N, r_e]).
    static func gateScaled(_ i: Int, _ s: Shapes, gate: UnsafePointer<Float>, xa: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let re = s.expertRank, t = s.seqLen
        for q in 0..<s.sequences {
            let gq = gate[q * s.experts + i]
            for row in (q * t)..<(q * t + t) { for j in 0..<re { u[row * re + j] = gq * xa[row * re + j] } }
        }
    }
}
