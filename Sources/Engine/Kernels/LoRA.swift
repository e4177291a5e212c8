// LoRA branch on a frozen linear: y += scale * (x̃ A^T) B^T, with x̃ = x * dropoutMask (or x itself).
// Shapes: x, x̃ [N, in]; A, dA [r, in]; B, dB [out, r]; xa, dxa [N, r]; y, dy [N, out]; dx [N, in].
// dropoutMask [N, in] already holds keep/(1-p) (0 or 1/(1-p)), so x̃ = x * mask is the inverted-dropout input.
// Row strides ldx/ldy default to the dense widths (fused q|k|v buffers can be addressed in place).

public enum LoRA {
    /// `y += scale * xa B^T` (`+=`, added on top of the base linear's output) and saves `xa = x̃ A^T` (`=`).
    /// With a dropout mask, `droppedInput` ([N, in] scratch) receives x̃; it may be discarded afterwards
    /// (backward recomputes it from x and the mask).
    public static func forward(y: UnsafeMutablePointer<Float>, xa: UnsafeMutablePointer<Float>,
                               x: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               rows n: Int, inFeatures: Int, outFeatures: Int, rank r: Int, scale: Float,
                               dropoutMask: UnsafePointer<Float>? = nil, droppedInput: UnsafeMutablePointer<Float>? = nil,
                               ldx: Int? = nil, ldy: Int? = nil) {
        let (xt, ldxt) = droppedX(x: x, ldx: ldx ?? inFeatures, n: n, inFeatures: inFeatures,
                                  dropoutMask: dropoutMask, droppedInput: droppedInput)
        BLAS.sgemm(transA: false, transB: true, m: n, n: r, k: inFeatures,
                   a: xt, lda: ldxt, b: a, ldb: inFeatures, beta: 0, c: xa, ldc: r)
        BLAS.sgemm(transA: false, transB: true, m: n, n: outFeatures, k: r, alpha: scale,
                   a: xa, lda: r, b: b, ldb: r, beta: 1, c: y, ldc: ldy ?? outFeatures)
    }

    /// Backward of the LoRA branch. All gradients ACCUMULATE (`+=`):
    ///   dB += scale * dy^T xa;  dxa = scale * dy B (scratch, `=`);  dA += dxa^T x̃;  dx += (dxa A) * mask.
    /// `dx` may be nil when nothing upstream needs it. `dxa` is [N, r] scratch. With a dropout mask,
    /// `droppedInput` ([N, in] scratch) is required; it is overwritten.
    public static func backward(dx: UnsafeMutablePointer<Float>?, da: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
                                dxa: UnsafeMutablePointer<Float>,
                                dy: UnsafePointer<Float>, x: UnsafePointer<Float>, xa: UnsafePointer<Float>,
                                a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                rows n: Int, inFeatures: Int, outFeatures: Int, rank r: Int, scale: Float,
                                dropoutMask: UnsafePointer<Float>? = nil, droppedInput: UnsafeMutablePointer<Float>? = nil,
                                ldx: Int? = nil, lddy: Int? = nil, lddx: Int? = nil) {
        let ldyv = lddy ?? outFeatures
        BLAS.sgemm(transA: true, transB: false, m: outFeatures, n: r, k: n, alpha: scale,
                   a: dy, lda: ldyv, b: xa, ldb: r, beta: 1, c: db, ldc: r)
        BLAS.sgemm(transA: false, transB: false, m: n, n: r, k: outFeatures, alpha: scale,
                   a: dy, lda: ldyv, b: b, ldb: r, beta: 0, c: dxa, ldc: r)
        let (xt, ldxt) = droppedX(x: x, ldx: ldx ?? inFeatures, n: n, inFeatures: inFeatures,
                                  dropoutMask: dropoutMask, droppedInput: droppedInput)
        BLAS.sgemm(transA: true, transB: false, m: r, n: inFeatures, k: n,
                   a: dxa, lda: r, b: xt, ldb: ldxt, beta: 1, c: da, ldc: inFeatures)
        guard let dx else { return }
        let lddxv = lddx ?? inFeatures
        if let mask = dropoutMask, let scratch = droppedInput {
            BLAS.sgemm(transA: false, transB: false, m: n, n: inFeatures, k: r,
                       a: dxa, lda: r, b: a, ldb: inFeatures, beta: 0, c: scratch, ldc: inFeatures)
            for i in 0..<n {
                Elementwise.accumulateProduct(dx + i * lddxv, scratch + i * inFeatures, mask + i * inFeatures, count: inFeatures)
            }
        } else {
            BLAS.sgemm(transA: false, transB: false, m: n, n: inFeatures, k: r,
                       a: dxa, lda: r, b: a, ldb: inFeatures, beta: 1, c: dx, ldc: lddxv)
        }
    }

    /// x̃ and its row stride: x itself without dropout, else x * mask written densely into `droppedInput`.
    static func droppedX(x: UnsafePointer<Float>, ldx: Int, n: Int, inFeatures: Int,
                         dropoutMask: UnsafePointer<Float>?, droppedInput: UnsafeMutablePointer<Float>?) -> (UnsafePointer<Float>, Int) {
        guard let mask = dropoutMask else { return (x, ldx) }
        guard let out = droppedInput else {
            preconditionFailure("LoRA: a dropout mask needs a droppedInput scratch of [rows, inFeatures] floats")
        }
        for i in 0..<n {
            Elementwise.multiply(out + i * inFeatures, x + i * ldx, mask + i * inFeatures, count: inFeatures)
        }
        return (UnsafePointer(out), inFeatures)
    }
}
