import CDNNL
import Foundation

/// `C[m, n] = A[m, k] · B[k, n]` for bf16 A and B and a float32 C, every operand dense row-major,
/// through oneDNN's matmul on the calling thread (one OpenMP thread). With `transposedB`, B is
/// given as Bᵀ [n, k] (e.g. attention's keys, one row per position, for the scores Q Kᵀ).
///
/// For operands that change on every call (attention's queries, keys, probabilities and values),
/// so nothing is packed ahead. A primitive is compiled per shape (about 0.3 ms for a brgemm kernel
/// on AVX512_BF16), so callers pad their shapes to a few sizes (`paddedRows`, `paddedColumns`).
public enum BF16DenseProduct {
    /// Row counts are padded to a multiple of this (brgemm's row block).
    public static let rowAlignment = 16
    /// Inner and column sizes that vary with the data (keys) are padded to a multiple of this.
    public static let columnAlignment = 32

    @inline(__always) public static func paddedRows(_ m: Int) -> Int { (m + rowAlignment - 1) / rowAlignment * rowAlignment }
    @inline(__always) public static func paddedColumns(_ n: Int) -> Int { (n + columnAlignment - 1) / columnAlignment * columnAlignment }

    public static func multiply(c: UnsafeMutablePointer<Float>, a: UnsafePointer<UInt16>, b: UnsafePointer<UInt16>,
                                m: Int, n: Int, k: Int, transposedB: Bool) {
        precondition(m > 0 && n > 0 && k > 0, "BF16DenseProduct: empty product \(m)×\(k)×\(n)")
        let pd: dnnl_primitive_desc_t, p: dnnl_primitive_t
        do { (pd, p) = try primitive(m: m, n: n, k: k, transposedB: transposedB) } catch {
            preconditionFailure("bf16 product \(m)×\(k)×\(n): \(error)")
        }
        DNNL.useOneThread()
        let status = DNNL.executeMatmul(pd, p, src: a, weights: .pointer(b), dst: c)
        precondition(status == dnnl_success, "bf16 product \(m)×\(k)×\(n): oneDNN status \(status.rawValue)")
    }

    /// The implementation oneDNN uses for the shape (tests check it is a brgemm kernel, not the
    /// reference loop).
    public static func implementation(m: Int, n: Int, k: Int, transposedB: Bool) throws -> String {
        DNNL.implementation(try primitive(m: m, n: n, k: k, transposedB: transposedB).0)
    }

    static func primitive(m: Int, n: Int, k: Int, transposedB: Bool) throws -> (dnnl_primitive_desc_t, dnnl_primitive_t) {
        var weights = dnnl_memory_desc_t()
        var dims: [Int64] = [Int64(k), Int64(n)]
        var strides: [Int64] = transposedB ? [1, Int64(k)] : [Int64(n), 1]
        try DNNL.check(dnnl_memory_desc_init_by_strides(&weights, 2, &dims, dnnl_bf16, &strides), "dnnl_memory_desc_init_by_strides")
        return try BF16Primitives.shared.primitive(k: k, n: n, rows: m, accumulate: false, weights: weights,
                                                   layout: transposedB ? .denseTransposed : .dense)
    }
}
