import CBLAS
import Foundation

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
        _ = configured
        // In OpenBLAS mode its own pool parallelises every call; the engine never splits.
        let workers = engineSplitsProducts ? engineThreads : 1
        // Large products are split across the engine's own workers, each running single-threaded
        // OpenBLAS: OpenBLAS's own pool would otherwise spin (sched_yield) between calls and take
        // the cores from the engine's parallel loops.
        // Column block lo..<hi of op(B): rows of B when transposed, columns otherwise.
        func columns(_ lo: Int) -> UnsafePointer<Float> { transB ? b + lo * ldb : b + lo }
        if m == 1 {
            // One row (token-by-token decoding, single-position logits): sgemm would pack all of B
            // first, costing as much as the product itself; sgemv streams B once instead, split by
            // outputs (no packing, so even mid-sized ones pay for the dispatch).
            // y[n] = alpha · op(B) x + beta · y, with x = A's row (a column of A when transA).
            func gemv(_ lo: Int, _ hi: Int) {
                cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                            Int32(transB ? hi - lo : k), Int32(transB ? k : hi - lo), alpha, columns(lo), Int32(ldb),
                            a, Int32(transA ? lda : 1), beta, c + lo, 1)
            }
            if workers > 1 && n * k < gemvEngineMinimumWork {
                // A decoding step's projections take tens of microseconds: OpenBLAS's spinning pool
                // picks them up faster than waking the engine's workers (and in a decoding step
                // nothing else runs in parallel for its spinning to get in the way of).
                openblas_set_num_threads(Int32(workers))
                gemv(0, n)
                openblas_set_num_threads(1)
            } else if workers > 1 && n * k >= gemvSplitMinimumWork && n >= 64 * workers {
                let chunk = ((n + workers - 1) / workers + 31) / 32 * 32
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let lo = w * chunk, hi = min(n, lo + chunk)
                    if lo < hi { gemv(lo, hi) }
                }
            } else { gemv(0, n) }
            return
        }
        if workers > 1 && m * n * k >= splitMinimumWork && max(m, n) >= 64 * workers {
            // Each worker packs its own copy of the operand it does not split: split the rows of C
            // when B is the larger operand to pack (k·n > m·k), its columns otherwise.
            let splitRows = m >= n
            let extent = splitRows ? m : n
            let chunk = ((extent + workers - 1) / workers + 31) / 32 * 32
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = w * chunk, hi = min(extent, lo + chunk)
                guard lo < hi else { return }
                if splitRows {
                    // Rows lo..<hi of op(A): columns of A when transposed, rows otherwise.
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(hi - lo), Int32(n), Int32(k), alpha, transA ? a + lo : a + lo * lda, Int32(lda),
                                b, Int32(ldb), beta, c + lo * ldc, Int32(ldc))
                } else {
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(hi - lo), Int32(k), alpha, a, Int32(lda), columns(lo), Int32(ldb), beta, c + lo, Int32(ldc))
                }
            }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Products smaller than this (m·n·k multiply-adds) run on one thread: splitting them costs
    /// more in dispatch than it saves.
    static let splitMinimumWork = 1 << 21
    /// The same for matrix-vector products (memory-bound, nothing to pack).
    static let gemvSplitMinimumWork = 1 << 16
    /// Matrix-vector products below this (a layer's projections) use OpenBLAS's pool; larger ones
    /// (the LM head over the vocabulary) are split by the engine.
    static let gemvEngineMinimumWork = 1 << 22

    /// Who parallelises large products: the engine (default; OpenBLAS single-threaded) or
    /// OpenBLAS's own thread pool (`METALORA_BLAS_THREADING=openblas`, for comparison).
    public static let engineSplitsProducts = ProcessInfo.processInfo.environment["METALORA_BLAS_THREADING"] != "openblas"

    nonisolated(unsafe) static var engineThreads = ProcessInfo.processInfo.activeProcessorCount
    /// OpenBLAS starts with a pool of all cores; in engine mode it must run single-threaded from
    /// the first product on, even if nobody called `setThreads`.
    static let configured: Void = { if engineSplitsProducts { openblas_set_num_threads(1) } }()

    /// Sets the threads large products use (and the engine's own parallel loops follow `Parallel.threads`).
    public static func setThreads(_ n: Int) {
        if engineSplitsProducts {
            engineThreads = max(1, n)
            openblas_set_num_threads(1)
        } else {
            openblas_set_num_threads(Int32(max(1, n)))
        }
    }
    /// Threads a large product uses.
    public static var threads: Int { engineSplitsProducts ? engineThreads : Int(openblas_get_num_threads()) }
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
