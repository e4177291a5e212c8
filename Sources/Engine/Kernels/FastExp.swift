// Vectorised exp for softmax-style kernels (attention probabilities, LM-head log-sum-exp).
// Shapes: element-wise on float rows.
// Cody–Waite range reduction x = n ln2 + r (ln2 split in two so r is exact), then a degree-6
// polynomial for e^r on |r| <= ln2/2 (Cephes expf coefficients) and 2^n via the exponent bits.
// Accuracy ~2 ulp over the float range; inputs below -87.3 (including -inf) give exactly 0,
// so masked scores set to -inf vanish without a branch. Inputs above 88.376 saturate at ~2.4e38 (softmax
// callers only pass x <= 0).

@inline(__always)
func fastExp(_ x: Float) -> Float {
    // Written branch-free on scalars so LLVM's loop vectoriser turns the loops below into AVX2/AVX-512
    // code (Swift's generic SIMD rounding/conversion helpers are lane-by-lane and ~50x slower).
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

public enum FastMath {
    /// `out[i] = exp(x[i])` with the engine's vectorised exp (exposed for tests and callers).
    public static func exp(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { out[i] = fastExp(x[i]) }
    }
}

// MARK: - Row helpers shared by the softmax kernels

/// Maximum of p[0..<n] (-inf for n = 0). Four independent running maxima keep the dependency chains short
/// (the generic SIMD pointwiseMax is lane-by-lane and no faster).
@inline(__always)
func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = -Float.infinity, m1 = m0, m2 = m0, m3 = m0
    var j = 0
    while j + 4 <= n {
        m0 = max(m0, p[j]); m1 = max(m1, p[j + 1]); m2 = max(m2, p[j + 2]); m3 = max(m3, p[j + 3])
        j += 4
    }
    while j < n { m0 = max(m0, p[j]); j += 1 }
    return max(max(m0, m1), max(m2, m3))
}

/// p[j] = exp(p[j] - shift) in place for j < n (a plain loop the vectoriser handles).
@inline(__always)
func expShiftedInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) {
    for j in 0..<n { p[j] = fastExp(p[j] - shift) }
}

/// p[j] = exp(p[j] - shift) in place for j < n; returns the sum, widened to Double every 256 elements so
/// long rows (a 49k vocabulary) keep ~1e-7 relative accuracy.
@inline(__always)
func expShiftedInPlaceSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
    expShiftedInPlace(p, n, shift: shift)
    var total: Double = 0
    var j = 0
    while j + 16 <= n {
        var acc = SIMD16<Float>(repeating: 0)
        let end = min(n, j + 256)
        while j + 16 <= end { acc += loadVector(p + j); j += 16 }
        total += Double(acc.sum())
    }
    while j < n { total += Double(p[j]); j += 1 }
    return total
}

/// p[j] *= s for j < n.
@inline(__always)
func scaleInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ s: Float) {
    let vs = SIMD16<Float>(repeating: s)
    var j = 0
    while j + 16 <= n { storeVector(loadVector(UnsafePointer(p + j)) * vs, p + j); j += 16 }
    while j < n { p[j] *= s; j += 1 }
}

/// sum_j a[j] * b[j] for j < n.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var j = 0
    while j + 16 <= n { acc += loadVector(a + j) * loadVector(b + j); j += 16 }
    var s = acc.sum()
    while j < n { s += a[j] * b[j]; j += 1 }
    return s
}
