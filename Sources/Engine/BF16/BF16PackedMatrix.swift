import CDNNL
import Foundation

// bf16 matrix product with a frozen right operand, through oneDNN's matmul:
//   C[M, N] (+)= bf16(A)[M, K] · B[K, N], float32 accumulation, float32 C.
// B is packed once, as bf16 in the blocked layout oneDNN's brgemm kernels read
// (`brg:avx512_core_bf16` on AVX512_BF16 CPUs). A is rounded to bf16 (nearest even) into a shared
// scratch, once per product. The engine's workers split the rows of C (each reads all of the
// packed B, so nothing is packed twice), each calling oneDNN single-threaded.
// oneDNN's brgemm runs only on a dense C (row stride N; a wider stride falls to its reference
// loop), so C must be dense; other strides go through a dense scratch.
// Each worker's rows run in blocks of `rowBlock`: the multiple-of-16 part of a block directly, the
// last < 16 rows as a 16-row product into a scratch. Primitives depend only on the shape, not on
// the weights, so one process-wide cache holds at most rowBlock/16 + 1 shapes per (K, N, beta)
// however many row counts callers use (scoring windows vary from call to call).

public final class BF16PackedMatrix: @unchecked Sendable {
    /// Inner dimension K and columns N of B.
    public let k: Int, n: Int
    let weightsMD: dnnl_memory_desc_t
    let weights: UnsafeMutableRawPointer
    public let packedBytes: Int
    let weightsMemory: dnnl_memory_t
    /// oneDNN's implementation of the full-block product (e.g. "brg:avx512_core_bf16").
    public let implementation: String

    /// Rows per oneDNN call; the rows of a block past its last multiple of `rowAlignment` run as one
    /// `rowAlignment`-row product.
    static let rowBlock = 512
    static let rowAlignment = 16
    /// Products with fewer multiply-adds run on the calling thread.
    static let splitMinimumWork = 1 << 21

    /// The oneDNN version linked, e.g. "2.6.3".
    public static var libraryVersion: String { DNNL.version }

    /// Packs B [K, N], whose element (i, j) is `source[i * rowStride + j * columnStride]`.
    /// - A linear layer's Wᵀ for y = x Wᵀ (W [out, in] row-major): k = in, n = out, rowStride 1, columnStride in.
    /// - W itself for dx = dy W: k = out, n = in, rowStride in, columnStride 1.
    public init(source: UnsafePointer<Float>, k: Int, n: Int, rowStride: Int, columnStride: Int) throws {
        precondition(k > 0 && n > 0, "BF16PackedMatrix: empty matrix \(k)×\(n)")
        self.k = k; self.n = n
        DNNL.useOneThread()
        let engine = DNNL.engine
        // The layout brgemm wants: ask a full-block primitive with weights "any".
        var src = try DNNL.matrix(rows: Self.rowBlock, cols: k, ld: k, type: dnnl_bf16)
        var dst = try DNNL.matrix(rows: Self.rowBlock, cols: n, ld: n, type: dnnl_f32)
        var any = dnnl_memory_desc_t()
        var dims: [Int64] = [Int64(k), Int64(n)]
        try DNNL.check(dnnl_memory_desc_init_by_tag(&any, 2, &dims, dnnl_bf16, dnnl_format_tag_any), "dnnl_memory_desc_init_by_tag")
        var desc = dnnl_matmul_desc_t()
        try DNNL.check(dnnl_matmul_desc_init(&desc, &src, &any, nil, &dst), "dnnl_matmul_desc_init")
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dnnl_primitive_desc_create(&pd, &desc, nil, engine, nil), "dnnl_primitive_desc_create (matmul)")
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = DNNL.implementation(pd!)
        weightsMD = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!.pointee
        var packedMD = weightsMD
        packedBytes = dnnl_memory_desc_get_size(&packedMD)
        weights = UnsafeMutableRawPointer.allocate(byteCount: max(packedBytes, 64), alignment: 64)
        var memory: dnnl_memory_t?
        try DNNL.check(dnnl_memory_create(&memory, &packedMD, engine, weights), "dnnl_memory_create (weights)")
        weightsMemory = memory!
        // Reorder (convert to bf16, round to nearest even, and block) from the float32 source.
        var plain = dnnl_memory_desc_t()
        var strides: [Int64] = [Int64(rowStride), Int64(columnStride)]
        try DNNL.check(dnnl_memory_desc_init_by_strides(&plain, 2, &dims, dnnl_f32, &strides), "dnnl_memory_desc_init_by_strides")
        var sourceMemory: dnnl_memory_t?
        try DNNL.check(dnnl_memory_create(&sourceMemory, &plain, engine, UnsafeMutableRawPointer(mutating: source)),
                       "dnnl_memory_create (source)")
        defer { dnnl_memory_destroy(sourceMemory) }
        var reorderPD: dnnl_primitive_desc_t?
        try DNNL.check(dnnl_reorder_primitive_desc_create(&reorderPD, &plain, engine, &packedMD, engine, nil),
                       "dnnl_reorder_primitive_desc_create")
        defer { dnnl_primitive_desc_destroy(reorderPD) }
        var reorder: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&reorder, reorderPD), "dnnl_primitive_create (reorder)")
        defer { dnnl_primitive_destroy(reorder) }
        var stream: dnnl_stream_t?
        try DNNL.check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        defer { dnnl_stream_destroy(stream) }
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: sourceMemory), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: weightsMemory)]
        try DNNL.check(dnnl_primitive_execute(reorder, stream, 2, &args), "dnnl_primitive_execute (reorder)")
        try DNNL.check(dnnl_stream_wait(stream), "dnnl_stream_wait")
    }

    deinit {
        dnnl_memory_destroy(weightsMemory)
        weights.deallocate()
    }

    /// `C = bf16(A) · B + beta · C` for A [m, k] (row stride lda, float32), C [m, n] (row stride ldc);
    /// beta is 0 (overwrite) or 1 (accumulate).
    public func multiply(c: UnsafeMutablePointer<Float>, ldc: Int, a: UnsafePointer<Float>, lda: Int, m: Int, beta: Float) {
        multiply(c: c, ldc: ldc, parts: [BF16Operand(a, stride: lda, columns: k)], m: m, beta: beta)
    }

    /// `C = bf16([A₁ | A₂ | …]) · B + beta · C`: the left operand's columns come from several float32
    /// matrices side by side (their widths sum to k), each rounded straight into the shared bf16
    /// copy. One product over a stacked B ([W₁; W₂; …], e.g. q|k|v) replaces several accumulating ones.
    public func multiply(c: UnsafeMutablePointer<Float>, ldc: Int, parts: [BF16Operand], m: Int, beta: Float) {
        precondition(beta == 0 || beta == 1, "BF16PackedMatrix.multiply: beta must be 0 or 1, got \(beta)")
        precondition(parts.reduce(0) { $0 + $1.columns } == k, "BF16PackedMatrix.multiply: operand widths \(parts.map(\.columns)) do not sum to k = \(k)")
        if m == 0 { return }
        if ldc != n {
            // brgemm needs a dense C: compute densely, then add or copy into the strided C.
            let dense = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
            defer { dense.deallocate() }
            multiply(c: dense, ldc: n, parts: parts, m: m, beta: 0)
            for i in 0..<m {
                if beta == 1 { Elementwise.accumulate(c + i * ldc, dense + i * n, count: n) } else { (c + i * ldc).update(from: dense + i * n, count: n) }
            }
            return
        }
        let workers = m * n * k < Self.splitMinimumWork ? 1 : min(BLAS.threads, (m + Self.rowAlignment - 1) / Self.rowAlignment)
        BF16Scratch.shared.withInput(rows: m, columns: k, tailColumns: n, workers: workers) { input, tails in
            let round = RowKernelDispatch.current.roundToBF16, k = self.k
            Parallel.forEachChunk(m, costPerItem: k) { rows in
                for i in rows {
                    var offset = 0
                    for part in parts {
                        round(input + i * k + offset, part.pointer + i * part.stride, part.columns)
                        offset += part.columns
                    }
                }
            }
            let accumulate = beta == 1
            if workers <= 1 {
                DNNL.useOneThread()
                self.multiplyRows(0, m, c: c, input: input, accumulate: accumulate, tail: tails[0])
                return
            }
            let align = Self.rowAlignment
            let chunk = ((m + workers - 1) / workers + align - 1) / align * align
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                DNNL.useOneThread()
                let lo = w * chunk, hi = min(m, lo + chunk)
                if lo < hi { self.multiplyRows(lo, hi, c: c, input: input, accumulate: accumulate, tail: tails[w]) }
            }
        }
    }

    /// Rows lo..<hi of C (dense) from rows lo..<hi of the bf16 input; `tail` holds 16 × n floats.
    func multiplyRows(_ lo: Int, _ hi: Int, c: UnsafeMutablePointer<Float>, input: UnsafePointer<UInt16>,
                      accumulate: Bool, tail: UnsafeMutablePointer<Float>) {
        let align = Self.rowAlignment
        var r0 = lo
        while r0 < hi {
            let rows = min(Self.rowBlock, hi - r0)
            let direct = rows / align * align
            if direct > 0 { run(rows: direct, a: input + r0 * k, c: c + r0 * n, accumulate: accumulate) }
            let rest = rows - direct
            if rest > 0 {
                // The 16-row product reads input rows past the last one (scratch); their results are dropped.
                let first = r0 + direct
                run(rows: align, a: input + first * k, c: tail, accumulate: false)
                for i in 0..<rest {
                    let to = c + (first + i) * n
                    if accumulate { Elementwise.accumulate(to, tail + i * n, count: n) } else { to.update(from: tail + i * n, count: n) }
                }
            }
            r0 += rows
        }
    }

    private func run(rows: Int, a: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let pd: dnnl_primitive_desc_t, p: dnnl_primitive_t
        do { (pd, p) = try BF16Primitives.shared.primitive(k: k, n: n, rows: rows, accumulate: accumulate, weights: weightsMD) } catch {
            preconditionFailure("bf16 product \(rows)×\(k)×\(n): \(error)")
        }
        let status = DNNL.executeMatmul(pd, p, src: a, weights: .memory(weightsMemory), dst: c)
        precondition(status == dnnl_success, "bf16 product \(rows)×\(k)×\(n): oneDNN status \(status.rawValue)")
    }

    /// The implementation oneDNN uses for an `rows`-row block (tests check it is a brgemm kernel,
    /// not the reference loop, for every block shape the product uses).
    public func implementation(rows: Int, accumulate: Bool) throws -> String {
        DNNL.implementation(try BF16Primitives.shared.primitive(k: k, n: n, rows: rows, accumulate: accumulate, weights: weightsMD).0)
    }
}

/// `columns` float32 columns of a product's left operand, row i at `pointer + i * stride`.
public struct BF16Operand {
    public let pointer: UnsafePointer<Float>, stride: Int, columns: Int
    public init(_ pointer: UnsafePointer<Float>, stride: Int, columns: Int) {
        self.pointer = pointer; self.stride = stride; self.columns = columns
    }
}

/// Matmul primitives by shape and right-operand layout, shared by every product (a primitive takes
/// its operands at execution; packed matrices of one shape share one blocked layout, and the
/// dense operands of `BF16DenseProduct` are plain row-major or transposed).
final class BF16Primitives: @unchecked Sendable {
    static let shared = BF16Primitives()
    enum WeightsLayout: Hashable { case packed, dense, denseTransposed }
    private struct Shape: Hashable { let k: Int, n: Int, rows: Int, accumulate: Bool, layout: WeightsLayout }
    private var primitives: [Shape: (dnnl_primitive_desc_t, dnnl_primitive_t)] = [:]
    private let lock = NSLock()

    func primitive(k: Int, n: Int, rows: Int, accumulate: Bool, weights: dnnl_memory_desc_t,
                   layout: WeightsLayout = .packed) throws -> (dnnl_primitive_desc_t, dnnl_primitive_t) {
        let shape = Shape(k: k, n: n, rows: rows, accumulate: accumulate, layout: layout)
        lock.lock(); defer { lock.unlock() }
        if let p = primitives[shape] { return p }
        let made = try DNNL.matmulPrimitive(rows: rows, k: k, n: n, weights: weights, accumulate: accumulate)
        primitives[shape] = made
        return made
    }
}

/// The bf16 copy of a product's left operand and each worker's 16-row result block, shared by
/// every packed matrix (products run one at a time; the lock serialises callers on other
/// threads). Grows to the largest product seen.
final class BF16Scratch: @unchecked Sendable {
    static let shared = BF16Scratch()
    private var input: UnsafeMutablePointer<UInt16>?
    private var inputCapacity = 0
    private var tails: [UnsafeMutablePointer<Float>] = []
    private var tailCapacity = 0
    private let lock = NSLock()

    /// Runs body with room for `rows` (padded to a multiple of 16) × `columns` bf16 values and
    /// `workers` blocks of 16 × `tailColumns` floats.
    func withInput(rows: Int, columns: Int, tailColumns: Int, workers: Int,
                   _ body: (UnsafeMutablePointer<UInt16>, [UnsafeMutablePointer<Float>]) -> Void) {
        lock.lock(); defer { lock.unlock() }
        let align = BF16PackedMatrix.rowAlignment
        let needed = (rows + align - 1) / align * align * columns
        if needed > inputCapacity {
            input?.deallocate()
            let raw = UnsafeMutableRawPointer.allocate(byteCount: needed * 2, alignment: 64)
            input = raw.bindMemory(to: UInt16.self, capacity: needed)
            input!.initialize(repeating: 0, count: needed)
            inputCapacity = needed
        }
        let tailNeeded = align * tailColumns
        if tailNeeded > tailCapacity || tails.count < workers {
            for t in tails { t.deallocate() }
            tailCapacity = max(tailCapacity, tailNeeded)
            tails = (0..<max(workers, tails.count)).map { _ in
                let t = UnsafeMutablePointer<Float>.allocate(capacity: tailCapacity)
                t.initialize(repeating: 0, count: tailCapacity)
                return t
            }
        }
        body(input!, tails)
    }
}
