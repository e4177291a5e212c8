import Foundation

/// A learning-rate multiplier that rises linearly over `warmupSteps` and then decays.
public protocol WarmupSchedule {
    var warmupSteps: Int { get }
    var totalSteps: Int { get }
    /// The multiplier at a `step` past warm-up (`step` ≥ `warmupSteps`).
    func decayFactor(step: Int) -> Double
}

extension WarmupSchedule {
    /// Multiplier of the base lr after `step` optimizer steps (step 0 = the first update):
    /// step/warmup during warm-up, then `decayFactor(step:)`.
    public func factor(step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        return decayFactor(step: step)
    }

    /// Sets each group's lr = baseLR * factor(step) before the step with index `step`.
    public func apply(to groups: [ParameterGroup], step: Int) {
        let f = factor(step: step)
        for g in groups { g.lr = g.baseLR * f }
    }
}

// Linear warm-up then linear decay to 0 (transformers' get_linear_schedule_with_warmup).

public struct LinearWarmupDecaySchedule: WarmupSchedule, Codable, Equatable, Sendable {
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "LinearWarmupDecaySchedule: negative step counts")
        self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    /// After warm-up: (total - step)/(total - warmup), floored at 0.
    public func decayFactor(step: Int) -> Double {
        max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }
}

/// Linear warm-up then half-cosine decay to 0 (transformers' get_cosine_schedule_with_warmup,
/// num_cycles 0.5): step/warmup during warm-up, then 0.5·(1 + cos(π·progress)),
/// progress = (step − warmup)/(total − warmup).
public struct CosineWarmupDecaySchedule: WarmupSchedule, Codable, Equatable, Sendable {
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "CosineWarmupDecaySchedule: negative step counts")
        self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    public func decayFactor(step: Int) -> Double {
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return max(0, 0.5 * (1 + cos(Double.pi * progress)))
    }
}
