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
