// torch.optim.AdamW (decoupled weight decay, bias correction, amsgrad off), reproduced operation by
// operation in float32 so results match torch closely and resume bit-for-bit from saved state:
//   p *= 1 - lr*wd;  m = lerp(m, g, 1-b1);  v = v*b2 + (1-b2)*g*g;
//   p += (-lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// Python-float scalars (bias corrections, step size) are computed in Double and rounded to Float once,
// as torch does when it hands a Python scalar to a float32 kernel.

import Foundation

public final class AdamW: @unchecked Sendable {
    public let groups: [ParameterGroup]
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    private var expAvg: [String: Tensor] = [:]
    private var expAvgSq: [String: Tensor] = [:]

    public init(groups: [ParameterGroup], beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) {
        self.groups = groups; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        var seen = Set<String>()
        for g in groups {
            for p in g.parameters {
                precondition(seen.insert(p.name).inserted, "AdamW: parameter name \(p.name) appears twice")
                expAvg[p.name] = Tensor(shape: p.value.shape)
                expAvgSq[p.name] = Tensor(shape: p.value.shape)
            }
        }
        precondition(Set(groups.map(\.name)).count == groups.count, "AdamW: group names must be unique")
    }

    /// One update of every parameter from its current gradient; increments each group's step.
    public func step() {
        for g in groups {
            g.step += 1
            let t = Double(g.step)
            let decay = Float(1 - g.lr * g.weightDecay)
            let lerpWeight = Float(1 - beta1)
            let b2 = Float(beta2), oneMinusB2 = Float(1 - beta2)
            let biasCorrection1 = 1 - Foundation.pow(beta1, t)
            let biasCorrection2 = 1 - Foundation.pow(beta2, t)
            let negStepSize = Float(-(g.lr / biasCorrection1))
            let bc2Sqrt = Float(biasCorrection2.squareRoot())
            let epsF = Float(eps)
            let applyDecay = g.weightDecay != 0
            for p in g.parameters {
                let pv = p.value.data, gv = UnsafePointer(p.grad.data)
                let m = expAvg[p.name]!.data, v = expAvgSq[p.name]!.data
                Elementwise.forEachBlock(p.value.count) { lo, hi in
                    for i in lo..<hi {
                        var param = pv[i]
                        if applyDecay { param = param * decay }
                        let grad = gv[i]
                        let mi = m[i] + lerpWeight * (grad - m[i])
                        let vi = v[i] * b2 + oneMinusB2 * grad * grad
                        m[i] = mi; v[i] = vi
                        let denom = vi.squareRoot() / bc2Sqrt + epsF
                        pv[i] = param + negStepSize * mi / denom
                    }
                }
            }
        }
    }

    public func zeroGrad() { for g in groups { g.zeroGrad() } }

    // MARK: - State

    /// JSON-able part of the state: per group step, learning rates and weight decay.
    public struct ScalarState: Codable, Equatable, Sendable {
        public struct Group: Codable, Equatable, Sendable {
            public var name: String
            public var step: Int
            public var lr: Double
            public var baseLR: Double
            public var weightDecay: Double
        }
        public var beta1: Double
        public var beta2: Double
        public var eps: Double
        public var groups: [Group]
    }

    /// The moment tensors, keyed `exp_avg.<param name>` and `exp_avg_sq.<param name>` (torch's names).
    /// These are the live buffers: serialise them before the next step.
    public func stateTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, t) in expAvg { out["exp_avg.\(name)"] = t }
        for (name, t) in expAvgSq { out["exp_avg_sq.\(name)"] = t }
        return out
    }

    public func scalarState() -> ScalarState {
        ScalarState(beta1: beta1, beta2: beta2, eps: eps, groups: groups.map {
            .init(name: $0.name, step: $0.step, lr: $0.lr, baseLR: $0.baseLR, weightDecay: $0.weightDecay)
        })
    }

    /// Restores moments (copied into this optimizer's buffers) and per-group scalars. Every parameter's
    /// moments and every group must be present with matching shapes/names; betas/eps must match.
    public func loadState(_ tensors: [String: Tensor], scalars: ScalarState) throws {
        guard scalars.beta1 == beta1, scalars.beta2 == beta2, scalars.eps == eps else {
            throw OptimizerStateError.hyperparameterMismatch(
                "saved betas/eps (\(scalars.beta1), \(scalars.beta2), \(scalars.eps)) differ from (\(beta1), \(beta2), \(eps))")
        }
        let byName = Dictionary(scalars.groups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for g in groups where byName[g.name] == nil { throw OptimizerStateError.missingGroup(g.name) }
        for (key, own) in [("exp_avg", expAvg), ("exp_avg_sq", expAvgSq)] {
            for (name, buffer) in own {
                guard let saved = tensors["\(key).\(name)"] else { throw OptimizerStateError.missingTensor("\(key).\(name)") }
                guard saved.shape == buffer.shape else {
                    throw OptimizerStateError.shapeMismatch("\(key).\(name)", saved: saved.shape, expected: buffer.shape)
                }
            }
        }
        for (name, buffer) in expAvg { buffer.copy(from: tensors["exp_avg.\(name)"]!) }
        for (name, buffer) in expAvgSq { buffer.copy(from: tensors["exp_avg_sq.\(name)"]!) }
        for g in groups {
            let s = byName[g.name]!
            g.step = s.step; g.lr = s.lr; g.baseLR = s.baseLR; g.weightDecay = s.weightDecay
        }
    }
}

public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)
    case missingGroup(String)
    case shapeMismatch(String, saved: [Int], expected: [Int])
    case hyperparameterMismatch(String)

    public var description: String {
        switch self {
        case .missingTensor(let n): return "optimizer state: tensor \(n) is missing"
        case .missingGroup(let n): return "optimizer state: parameter group \(n) is missing"
        case .shapeMismatch(let n, let s, let e): return "optimizer state: \(n) has shape \(s), expected \(e)"
        case .hyperparameterMismatch(let m): return "optimizer state: \(m)"
        }
    }
}
