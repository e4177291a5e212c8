import Foundation

// A frozen bias-free linear layer in bf16: the same products as `Linear`, through packed copies.
// Shapes: x [N, in], W [out, in] (HF layout, float32, kept), y [N, out], dy [N, out], dx [N, in].
// forward: y = bf16(x) bf16(W)ᵀ (+ y), backwardInput: dx = bf16(dy) bf16(W) (+ dx); float32 accumulation.
// Frozen weights get no gradient, so there is no backwardWeight.

public final class BF16Linear: @unchecked Sendable {
    public let outFeatures: Int, inFeatures: Int
    let weight: UnsafePointer<Float>
    /// Wᵀ as the right operand of the forward product, packed when the layer is made.
    public let forwardPack: BF16PackedMatrix
    private var backwardStorage: BF16PackedMatrix?
    private let lock = NSLock()

    /// Packs `weight` [out, in] for the forward product. The float32 weight must outlive this layer:
    /// the backward copy is packed from it on the first `backwardInput` (inference never needs it).
    public init(weight: UnsafePointer<Float>, outFeatures: Int, inFeatures: Int) throws {
        self.weight = weight; self.outFeatures = outFeatures; self.inFeatures = inFeatures
        forwardPack = try BF16PackedMatrix(source: weight, k: inFeatures, n: outFeatures, rowStride: 1, columnStride: inFeatures)
    }

    /// W as the right operand of the input-gradient product.
    public var backwardPack: BF16PackedMatrix {
        lock.lock(); defer { lock.unlock() }
        if let b = backwardStorage { return b }
        do {
            let b = try BF16PackedMatrix(source: weight, k: outFeatures, n: inFeatures, rowStride: inFeatures, columnStride: 1)
            backwardStorage = b
            return b
        } catch {
            // The forward copy of the same matrix was packed by the same library, so this is an
            // internal failure (out of memory), not bad input.
            preconditionFailure("BF16Linear: packing the backward copy of a \(outFeatures)×\(inFeatures) weight failed: \(error)")
        }
    }

    /// `y = x Wᵀ + beta * y` (beta 0 or 1), as `Linear.forward`.
    public func forward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows n: Int, beta: Float = 0,
                        ldx: Int? = nil, ldy: Int? = nil) {
        forwardPack.multiply(c: y, ldc: ldy ?? outFeatures, a: x, lda: ldx ?? inFeatures, m: n, beta: beta)
    }

    /// `dx = dy W + beta * dx` (beta 0 or 1; default 1 accumulates), as `Linear.backwardInput`.
    public func backwardInput(dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, rows n: Int, beta: Float = 1,
                              lddx: Int? = nil, lddy: Int? = nil) {
        backwardPack.multiply(c: dx, ldc: lddx ?? inFeatures, a: dy, lda: lddy ?? outFeatures, m: n, beta: beta)
    }

    /// Bytes of bf16 copies held (the backward one once packed).
    public var packedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return forwardPack.packedBytes + (backwardStorage?.packedBytes ?? 0)
    }
}
