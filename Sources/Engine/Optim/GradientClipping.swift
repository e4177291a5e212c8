// Global-norm gradient clipping (torch.nn.utils.clip_grad_norm_ with the L2 norm) and a non-finite
// check that names the offending tensor.

import Foundation

public enum GradientClipping {
    /// sqrt(sum over all tensors of sum(g^2)), accumulated in Double.
    public static func globalNorm(_ grads: [Tensor]) -> Double {
        var total: Double = 0
        for g in grads { total += Elementwise.sumOfSquares(g.data, count: g.count) }
        return total.squareRoot()
    }

    /// Scales every gradient by maxNorm / (norm + 1e-6) when that factor is below 1 (torch's rule).
    /// Returns the norm before clipping (non-finite norms are returned without scaling anything).
    @discardableResult
    public static func clip(_ grads: [Tensor], maxNorm: Double) -> Double {
        let norm = globalNorm(grads)
        guard norm.isFinite else { return norm }
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            let c = Float(coefficient)
            for g in grads { Elementwise.scale(g.data, by: c, count: g.count) }
        }
        return norm
    }
}

public struct NonFiniteError: Error, CustomStringConvertible, Equatable {
    public let tensorName: String
    public let index: Int
    public let value: Float
    public var description: String { "non-finite value \(value) in \(tensorName) at flat index \(index)" }
}

public enum FiniteCheck {
    /// The first NaN/±inf among the tensors, in the given order, or nil when all are finite.
    public static func firstNonFinite(_ tensors: [(name: String, tensor: Tensor)]) -> NonFiniteError? {
        for (name, t) in tensors {
            let p = t.data
            for i in 0..<t.count where !p[i].isFinite {
                return NonFiniteError(tensorName: name, index: i, value: p[i])
            }
        }
        return nil
    }

    /// Throws a `NonFiniteError` naming the first offending tensor.
    public static func check(_ tensors: [(name: String, tensor: Tensor)]) throws {
        if let e = firstNonFinite(tensors) { throw e }
    }

    /// Checks every gradient of the groups (names as `grad.<parameter name>`).
    public static func checkGradients(_ groups: [ParameterGroup]) throws {
        try check(groups.flatMap { g in g.parameters.map { (name: "grad.\($0.name)", tensor: $0.grad) } })
    }
}
