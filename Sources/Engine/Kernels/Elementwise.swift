// Element-wise helpers on flat float buffers.
// Shapes: every buffer is `count` contiguous floats (any logical shape, e.g. [N, C]).
// Semantics are spelled out per function: `=` overwrites the destination, `+=` accumulates.

/// SIMD16 load/store on possibly unaligned float pointers (activation slices need not be 64-byte aligned).
@inline(__always) func loadVector(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func storeVector(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

public enum Elementwise {
    /// Parallel split of a flat range; each chunk start is a multiple of 16 so SIMD runs stay whole.
    @inline(__always)
    static func forEachBlock(_ count: Int, _ body: (Int, Int) -> Void) {
        let blocks = (count + 1023) / 1024
        Parallel.forEachChunk(blocks, costPerItem: 1024) { range in
            body(range.lowerBound * 1024, min(count, range.upperBound * 1024))
        }
    }

    /// `out = a + b`. `out` may alias `a` or `b`.
    public static func add(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        forEachBlock(count) { lo, hi in
            var i = lo
            while i + 16 <= hi { storeVector(loadVector(a + i) + loadVector(b + i), out + i); i += 16 }
            while i < hi { out[i] = a[i] + b[i]; i += 1 }
        }
    }

    /// `acc += x` (the residual connection).
    public static func accumulate(_ acc: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        add(acc, UnsafePointer(acc), x, count: count)
    }

    /// `y += alpha * x`.
    public static func axpy(_ y: UnsafeMutablePointer<Float>, alpha: Float, _ x: UnsafePointer<Float>, count: Int) {
        forEachBlock(count) { lo, hi in
            var i = lo
            let va = SIMD16<Float>(repeating: alpha)
            while i + 16 <= hi { storeVector(loadVector(UnsafePointer(y + i)) + va * loadVector(x + i), y + i); i += 16 }
            while i < hi { y[i] += alpha * x[i]; i += 1 }
        }
    }

    /// `x *= s` in place.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by s: Float, count: Int) {
        forEachBlock(count) { lo, hi in
            var i = lo
            let vs = SIMD16<Float>(repeating: s)
            while i + 16 <= hi { storeVector(loadVector(UnsafePointer(x + i)) * vs, x + i); i += 16 }
            while i < hi { x[i] *= s; i += 1 }
        }
    }

    /// `out = a * b` (element-wise product, e.g. applying a dropout mask). `out` may alias `a` or `b`.
    public static func multiply(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        forEachBlock(count) { lo, hi in
            var i = lo
            while i + 16 <= hi { storeVector(loadVector(a + i) * loadVector(b + i), out + i); i += 16 }
            while i < hi { out[i] = a[i] * b[i]; i += 1 }
        }
    }

    /// `acc += a * b`.
    public static func accumulateProduct(_ acc: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
        forEachBlock(count) { lo, hi in
            var i = lo
            while i + 16 <= hi {
                storeVector(loadVector(UnsafePointer(acc + i)) + loadVector(a + i) * loadVector(b + i), acc + i); i += 16
            }
            while i < hi { acc[i] += a[i] * b[i]; i += 1 }
        }
    }

    /// `dst = src`.
    public static func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
        dst.update(from: src, count: count)
    }

    /// `dst = 0`.
    public static func zero(_ dst: UnsafeMutablePointer<Float>, count: Int) {
        dst.update(repeating: 0, count: count)
    }

    /// Sum of squares in Double (used by gradient-norm clipping), serial and therefore deterministic.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total: Double = 0
        var i = 0
        // Blocks of 16 accumulated in Float SIMD lanes, then widened: fast and still ~1e-7 relative.
        while i + 256 <= count {
            var acc = SIMD16<Float>(repeating: 0)
            var j = i
            while j < i + 256 { let v = loadVector(x + j); acc += v * v; j += 16 }
            total += Double(acc.sum())
            i += 256
        }
        while i < count { total += Double(x[i]) * Double(x[i]); i += 1 }
        return total
    }
}
