// Bias-free linear layer in HF layout: y = x W^T.
// Shapes: x [N, in], W [out, in] (row-major, HF/PyTorch layout), y [N, out], dy [N, out], dx [N, in], dW [out, in].
// Row strides (ldx, ldy) default to the dense width so fused buffers (e.g. q|k|v side by side) can be addressed in place.

public enum Linear {
    /// `y = x W^T + beta * y` — `beta = 0` overwrites (`=`), `beta = 1` accumulates (`+=`).
    public static func forward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               rows n: Int, inFeatures: Int, outFeatures: Int, beta: Float = 0,
                               ldx: Int? = nil, ldy: Int? = nil) {
        BLAS.sgemm(transA: false, transB: true, m: n, n: outFeatures, k: inFeatures,
                   a: x, lda: ldx ?? inFeatures, b: weight, ldb: inFeatures,
                   beta: beta, c: y, ldc: ldy ?? outFeatures)
    }

    /// Input gradient `dx = dy W + beta * dx` — `beta = 1` (the default) accumulates (`+=`), `beta = 0` overwrites.
    /// Frozen weights get no gradient; see `backwardWeight` for trainable ones.
    public static func backwardInput(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     rows n: Int, inFeatures: Int, outFeatures: Int, beta: Float = 1,
                                     lddx: Int? = nil, lddy: Int? = nil) {
        BLAS.sgemm(transA: false, transB: false, m: n, n: inFeatures, k: outFeatures,
                   a: dy, lda: lddy ?? outFeatures, b: weight, ldb: inFeatures,
                   beta: beta, c: dx, ldc: lddx ?? inFeatures)
    }

    /// Weight gradient, ACCUMULATED: `dW += dy^T x` (for trainable linears such as routers).
    public static func backwardWeight(dweight: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                      rows n: Int, inFeatures: Int, outFeatures: Int,
                                      ldx: Int? = nil, lddy: Int? = nil) {
        BLAS.sgemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: n,
                   a: dy, lda: lddy ?? outFeatures, b: x, ldb: ldx ?? inFeatures,
                   beta: 1, c: dweight, ldc: inFeatures)
    }
}
