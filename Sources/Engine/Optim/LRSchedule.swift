import Foundation

// Linear warm-up then linear decay to 0 (transformers' get_linear_schedule_with_warmup).

public struct LinearWarmupDecaySchedule: Codable, Equatable, Sendable {
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "LinearWarmupDecaySchedule: negative step counts")
        self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    /// Multiplier of the base lr after `step` optimizer steps (step 0 = the first update):
    /// step/warmup during warm-up, then (total - step)/(total - warmup), floored at 0.
    public func factor(step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        return max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
    }

    /// Sets each group's lr = baseLR * factor(step) before the step with index `step`.
    public func apply(to groups: [ParameterGroup], step: Int) {
        let f = factor(step: step)
        for g in groups { g.lr = g.baseLR * f }
    }
}

/// Linear warm-up then half-cosine decay to 0 (transformers' get_cosine_schedule_with_warmup,
/// num_cycles 0.5): step/warmup during warm-up, then 0.5·(1 + cos(π·progress)),
/// progress = (step − warmup)/(total − warmup).
public struct CosineWarmupDecaySchedule: Codable, Equatable, Sendable {
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "CosineWarmupDecaySchedule: negative step counts")
        self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    public func factor(step: Int) -> Double {
        if step < warmupSteps { return Double(step) / Double(max(1, warmupSteps)) }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return max(0, 0.5 * (1 + cos(Double.pi * progress)))
    }

    public func apply(to groups: [ParameterGroup], step: Int) {
        let f = factor(step: step)
        for g in groups { g.lr = g.baseLR * f }
    }
}
