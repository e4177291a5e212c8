import CBLAS

/// Thin, named wrapper over OpenBLAS's row-major sgemm: `C = alpha * op(A) * op(B) + beta * C`.
///
/// All engine matrices are row-major. `transA`/`transB` say whether A/B are used transposed;
/// `lda`/`ldb`/`ldc` are row strides in elements.
public enum BLAS {
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false,
                             m: Int, n: Int, k: Int,
                             alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if m == 1 {
            // One row (token-by-token decoding, single-position logits): sgemm would pack all of B
            // first, costing as much as the product itself; sgemv streams B once instead.
            // y[n] = alpha · op(B) x + beta · y, with x = A's row (a column of A when transA).
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                        Int32(transB ? n : k), Int32(transB ? k : n), alpha, b, Int32(ldb),
                        a, Int32(transA ? lda : 1), beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the threads OpenBLAS uses (and the engine's own parallel loops follow `Parallel.threads`).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// The kernel family OpenBLAS picked at run time for this CPU (e.g. "Cooperlake", "Haswell").
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }
}
