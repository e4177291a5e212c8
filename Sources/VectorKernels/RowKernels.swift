// Row kernels of the softmax-style passes (attention probabilities, LM-head log-sum-exp) and the
// SwiGLU gate: the element-wise work between matrix products.
//
// This file is compiled three times (Package.swift): as `VectorKernels` for baseline x86-64 (SSE,
// 4 lanes) and, through symlinks, as `VectorKernelsAVX2` for AVX2+FMA CPUs (8 lanes) and
// `VectorKernelsAVX512` for AVX-512 CPUs (16 lanes). Swift has no per-function target attributes,
// so each wider build is a separate module that `Engine` only calls when the CPU reports its
// features (`RowKernelDispatch`). Floating-point contraction is off in Swift, so every build
// rounds every operation identically: their results are bit-for-bit equal.

/// exp(x) for the softmax kernels. Cody–Waite range reduction x = n ln2 + r (ln2 split in two so r
/// is exact), then a degree-6 polynomial for e^r on |r| <= ln2/2 (Cephes expf coefficients) and 2^n
/// via the exponent bits. Accuracy ~2 ulp over the float range; inputs below -87.3 (including
/// -inf) give exactly 0, so masked scores set to -inf vanish without a branch. Inputs above 88.376
/// saturate at ~2.4e38 (softmax callers only pass x <= 0).
@inline(__always)
func fastExp(_ x: Float) -> Float {
    // Branch-free on scalars so LLVM's loop vectoriser turns the loops below into vector code
    // (Swift's generic SIMD rounding/conversion helpers are lane-by-lane and ~50x slower).
    let xc = min(max(x, -87.33654), 88.37626)
    // Round x*log2(e) to the nearest integer n with the 1.5*2^23 trick: n sits in t's low mantissa bits.
    let t = xc * 1.442695040888963 + 12_582_912
    let n = t - 12_582_912
    var r = xc - n * 0.693359375
    r = r - n * -2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * (r * r) + r + 1
    let scale = Float(bitPattern: ((t.bitPattern &- 0x4B40_0000) &+ 127) << 23)
    return x < -87.33654 ? 0 : er * scale
}

@inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

public enum RowKernels {
    /// out[i] = exp(x[i]) for i < n (out may equal x).
    public static func exp(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = fastExp(x[i]) }
    }

    /// out[i] = exp(-x[i]) for i < n (out may equal x).
    public static func expNegated(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = fastExp(-x[i]) }
    }

    /// Maximum of p[0..<n] (-inf for n = 0). Sixteen running maxima updated by compare-and-blend
    /// (the generic `pointwiseMax` goes lane by lane, ~25x slower).
    public static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var j = 0
        var m = SIMD16<Float>(repeating: -.infinity)
        while j + 16 <= n { let v = load(p + j); m.replace(with: v, where: v .> m); j += 16 }
        var best = m.max()
        while j < n { best = Swift.max(best, p[j]); j += 1 }
        return best
    }

    /// p[j] = exp(p[j] - shift) in place for j < n.
    public static func expShifted(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) {
        for j in 0..<n { p[j] = fastExp(p[j] - shift) }
    }

    /// p[j] = exp(p[j] - shift) in place for j < n; returns their sum, widened to Double every
    /// 256 elements so long rows (a 49k vocabulary) keep ~1e-7 relative accuracy.
    public static func expShiftedSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
        var total: Double = 0
        var j = 0
        while j < n {
            // One 256-element chunk: exponentials in place, then their sum while still in L1.
            let end = Swift.min(n, j + 256)
            for i in j..<end { p[i] = fastExp(p[i] - shift) }
            var acc = SIMD16<Float>(repeating: 0)
            while j + 16 <= end { acc += load(p + j); j += 16 }
            total += Double(acc.sum())
            while j < end { total += Double(p[j]); j += 1 }
        }
        return total
    }

    /// p[j] *= s for j < n.
    public static func scale(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ s: Float) {
        let vs = SIMD16<Float>(repeating: s)
        var j = 0
        while j + 16 <= n { store(load(UnsafePointer(p + j)) * vs, p + j); j += 16 }
        while j < n { p[j] *= s; j += 1 }
    }

    /// SwiGLU forward on one tile: out[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n, with
    /// `e` (n floats, separate from every argument) holding exp(-gate).
    public static func swiGLU(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                              _ n: Int, scratch e: UnsafeMutablePointer<Float>) {
        expNegated(e, gate, n)
        var i = 0
        while i + 16 <= n {
            store(load(gate + i) / (1 + load(UnsafePointer(e + i))) * load(up + i), out + i)
            i += 16
        }
        while i < n { out[i] = gate[i] / (1 + e[i]) * up[i]; i += 1 }
    }

    /// out[i] = x[i] rounded to bfloat16 (the upper 16 bits of a float32), round to nearest even;
    /// NaN stays a quiet NaN (adding the rounding bias could otherwise carry it into infinity).
    /// The input rounding of bf16 matrix products (`BF16PackedMatrix`).
    public static func roundToBF16(_ out: UnsafeMutablePointer<UInt16>, _ x: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let bits = x[i].bitPattern
            let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
            let quietNaN = (bits >> 16) | 0x40
            out[i] = UInt16(truncatingIfNeeded: (bits & 0x7FFF_FFFF) > 0x7F80_0000 ? quietNaN : rounded)
        }
    }
}
