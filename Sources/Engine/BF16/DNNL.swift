import CDNNL
import Foundation

/// The process's oneDNN CPU engine and the threading rule every oneDNN call follows.
///
/// One owner of the cores: the engine's own workers split each bf16 product (by column panels,
/// `BF16PackedMatrix`) and every worker calls oneDNN with one OpenMP thread. Debian's oneDNN runs
/// on libgomp, whose team threads spin after each parallel region and would take the cores from
/// the engine's loops and from OpenBLAS; with one thread per call libgomp never starts a team.
enum DNNL {
    /// The CPU engine, created on first use.
    static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        let status = dnnl_engine_create(&e, dnnl_cpu, 0)
        precondition(status == dnnl_success && e != nil, "oneDNN: no CPU engine (status \(status.rawValue))")
        return e!
    }()

    /// `omp_set_num_threads` from the libgomp oneDNN loaded (looked up at run time: Debian ships
    /// no link-time libgomp.so outside GCC's private folder).
    private static let setOpenMPThreads: (@convention(c) (Int32) -> Void)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Void).self)
    }()

    /// Makes the calling thread's oneDNN calls single-threaded (OpenMP's thread count is per thread).
    @inline(__always)
    static func useOneThread() { setOpenMPThreads?(1) }

    /// This thread's oneDNN stream (a CPU stream is cheap, but not to be shared between threads).
    static var threadStream: dnnl_stream_t {
        let key = "metalora.dnnl.stream"
        if let box = Thread.current.threadDictionary[key] as? StreamBox { return box.stream }
        var s: dnnl_stream_t?
        let status = dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue)
        precondition(status == dnnl_success && s != nil, "oneDNN: no stream (status \(status.rawValue))")
        Thread.current.threadDictionary[key] = StreamBox(s!)
        return s!
    }

    final class StreamBox {
        let stream: dnnl_stream_t
        init(_ s: dnnl_stream_t) { stream = s }
        deinit { dnnl_stream_destroy(stream) }
    }

    /// Throws with the call's name when oneDNN returns an error status.
    static func check(_ status: dnnl_status_t, _ call: String) throws {
        guard status == dnnl_success else { throw PrecisionError.library("\(call) failed (status \(status.rawValue))") }
    }

    /// A plain row-major matrix descriptor: `rows × cols` with row stride `ld` (elements).
    static func matrix(rows: Int, cols: Int, ld: Int, type: dnnl_data_type_t) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        var dims: [Int64] = [Int64(rows), Int64(cols)]
        var strides: [Int64] = [Int64(ld), 1]
        try check(dnnl_memory_desc_init_by_strides(&md, 2, &dims, type, &strides), "dnnl_memory_desc_init_by_strides")
        return md
    }

    /// Runs a matmul primitive on this thread's stream: src and dst are plain pointers, the weights
    /// either a memory object built once (a packed matrix) or a pointer read with the primitive's
    /// weights descriptor. Each call brings its own scratchpad (the primitive is created with
    /// scratchpad mode "user"): workers execute one primitive concurrently, and with the library's
    /// shared scratchpad concurrent calls overwrote each other's partial results (BF16Tests, 2 threads).
    static func executeMatmul(_ pd: dnnl_primitive_desc_t, _ p: dnnl_primitive_t, src: UnsafeRawPointer,
                              weights: MatmulWeights, dst: UnsafeMutableRawPointer) -> dnnl_status_t {
        let engine = Self.engine, stream = threadStream
        var srcMemory: dnnl_memory_t?, dstMemory: dnnl_memory_t?, weightsMemory: dnnl_memory_t?, scratchMemory: dnnl_memory_t?
        var status = dnnl_memory_create(&srcMemory, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), engine,
                                        UnsafeMutableRawPointer(mutating: src))
        if status == dnnl_success {
            status = dnnl_memory_create(&dstMemory, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), engine, dst)
        }
        switch weights {
        case .memory(let m): weightsMemory = m
        case .pointer(let w):
            if status == dnnl_success {
                status = dnnl_memory_create(&weightsMemory, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), engine,
                                            UnsafeMutableRawPointer(mutating: w))
            }
        }
        let scratchMD = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)
        let scratchBytes = scratchMD.map { dnnl_memory_desc_get_size($0) } ?? 0
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(scratchBytes, 64), alignment: 64)
        defer { scratch.deallocate() }
        if status == dnnl_success, scratchBytes > 0 {
            status = dnnl_memory_create(&scratchMemory, scratchMD, engine, scratch)
        }
        if status == dnnl_success {
            var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: srcMemory),
                        dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weightsMemory),
                        dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dstMemory)]
            if scratchMemory != nil { args.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchMemory)) }
            status = dnnl_primitive_execute(p, stream, Int32(args.count), &args)
            if status == dnnl_success { status = dnnl_stream_wait(stream) }
        }
        dnnl_memory_destroy(srcMemory); dnnl_memory_destroy(dstMemory)
        if case .pointer = weights { dnnl_memory_destroy(weightsMemory) }
        if scratchMemory != nil { dnnl_memory_destroy(scratchMemory) }
        return status
    }

    enum MatmulWeights {
        case memory(dnnl_memory_t)
        case pointer(UnsafeRawPointer)
    }

    /// A matmul primitive for bf16 src [rows, k] (dense) × weights → f32 dst [rows, n] (dense), with
    /// a user scratchpad and, when `accumulate`, a sum post-op (dst += product).
    static func matmulPrimitive(rows: Int, k: Int, n: Int, weights: dnnl_memory_desc_t,
                                accumulate: Bool) throws -> (dnnl_primitive_desc_t, dnnl_primitive_t) {
        var src = try matrix(rows: rows, cols: k, ld: k, type: dnnl_bf16)
        var dst = try matrix(rows: rows, cols: n, ld: n, type: dnnl_f32)
        var weightsMD = weights
        var desc = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&desc, &src, &weightsMD, nil, &dst), "dnnl_matmul_desc_init")
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attr) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        if accumulate {
            var ops: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&ops), "dnnl_post_ops_create")
            defer { dnnl_post_ops_destroy(ops) }
            try check(dnnl_post_ops_append_sum(ops, 1), "dnnl_post_ops_append_sum")
            try check(dnnl_primitive_attr_set_post_ops(attr, ops), "dnnl_primitive_attr_set_post_ops")
        }
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &desc, attr, engine, nil), "dnnl_primitive_desc_create (matmul \(rows)×\(k)×\(n))")
        var p: dnnl_primitive_t?
        try check(dnnl_primitive_create(&p, pd), "dnnl_primitive_create (matmul)")
        return (pd!, p!)
    }

    /// The implementation oneDNN picked for a primitive descriptor (e.g. "brg:avx512_core_bf16").
    static func implementation(_ pd: dnnl_primitive_desc_t) -> String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "unknown" }
        return String(cString: name)
    }

    /// oneDNN's version, e.g. "2.6.3".
    static var version: String {
        guard let v = dnnl_version() else { return "unknown" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
    }
}
