// Row helpers of the softmax-style kernels (attention probabilities, LM-head log-sum-exp) and the
// SwiGLU gate. Shapes: element-wise on float rows.
// The loops themselves live in the VectorKernels module (exp: Cody–Waite reduction and a degree-6
// polynomial, ~2 ulp; -inf and inputs below -87.3 give exactly 0), built for baseline x86-64 and
// for AVX2+FMA; `RowKernelDispatch.current` picks the build this CPU runs. These wrappers keep the
// kernels' call sites short.

private let rowKernels = RowKernelDispatch.current

public enum FastMath {
    /// `out[i] = exp(x[i])` with the engine's vectorised exp (exposed for tests and callers).
    public static func exp(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        rowKernels.exp(out, x, count)
    }
}

/// Maximum of p[0..<n] (-inf for n = 0).
@inline(__always)
func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float { rowKernels.max(p, n) }

/// p[j] = exp(p[j] - shift) in place for j < n.
@inline(__always)
func expShiftedInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) { rowKernels.expShifted(p, n, shift) }

/// p[j] = exp(p[j] - shift) in place for j < n; returns the sum, widened to Double every 256
/// elements so long rows (a 49k vocabulary) keep ~1e-7 relative accuracy.
@inline(__always)
func expShiftedInPlaceSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double {
    rowKernels.expShiftedSum(p, n, shift)
}

/// out[i] = exp(-x[i]) for i < n.
@inline(__always)
func expNegated(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) { rowKernels.expNegated(out, x, n) }

/// p[j] *= s for j < n.
@inline(__always)
func scaleInPlace(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ s: Float) { rowKernels.scale(p, n, s) }

/// One SwiGLU tile: out = gate / (1 + exp(-gate)) * up over n floats, `e` n floats of scratch.
@inline(__always)
func swiGLUTile(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, _ n: Int,
                scratch e: UnsafeMutablePointer<Float>) {
    rowKernels.swiGLU(out, gate, up, n, e)
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
