// Plain SGD, θ -= α g (MeTA-LoRA's inner adaptation steps). Matches torch's `p.add_(g, alpha=-lr)`:
// the Python-float step is rounded to Float once, then p + (-lr) * g element-wise.

public enum SGD {
    /// `param -= lr * grad` over `count` floats.
    public static func step(param: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, count: Int, lr: Double) {
        let alpha = Float(-lr)
        Elementwise.forEachBlock(count) { lo, hi in
            for i in lo..<hi { param[i] = param[i] + alpha * grad[i] }
        }
    }

    /// One step on every parameter of the group with the group's lr (the group's step counter is untouched).
    public static func step(_ group: ParameterGroup) {
        for p in group.parameters { step(param: p.value.data, grad: p.grad.data, count: p.value.count, lr: group.lr) }
    }
}
