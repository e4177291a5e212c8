// Trainable parameters as the optimizers see them: named value/gradient tensor pairs, grouped so that
// each group has its own learning rate, weight decay and step counter (like torch param_groups).

/// One trainable tensor and its gradient buffer (same shape). The name keys optimizer state.
public struct Parameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    public let grad: Tensor

    public init(name: String, value: Tensor, grad: Tensor) {
        precondition(value.shape == grad.shape, "Parameter \(name): value \(value.shape) and grad \(grad.shape) differ")
        self.name = name; self.value = value; self.grad = grad
    }
}

public final class ParameterGroup: @unchecked Sendable {
    public let name: String
    public let parameters: [Parameter]
    /// The learning rate the schedule scales (torch's `initial_lr`).
    public var baseLR: Double
    /// The learning rate of the next step (set by a schedule, or fixed).
    public var lr: Double
    public var weightDecay: Double
    /// Optimizer steps taken by this group (AdamW's bias-correction t is step + 1 during a step).
    public var step: Int = 0

    public init(name: String, parameters: [Parameter], lr: Double, weightDecay: Double = 0) {
        self.name = name; self.parameters = parameters
        self.baseLR = lr; self.lr = lr; self.weightDecay = weightDecay
    }

    public func zeroGrad() { for p in parameters { p.grad.zero() } }
    public var gradients: [Tensor] { parameters.map(\.grad) }
}
