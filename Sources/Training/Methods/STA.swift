import Foundation

/// The -STA ablation (§4.3, Figure 2): no task-specific adaptation; θ takes the query gradients at θ.
public enum STAMethod {
    public static let descriptor = MethodDescriptor(
        name: "sta",
        paperReference: "MeTA-LoRA §4.3 (-STA), Figure 2",
        summary: "Algorithm 1 without Stage I (k = 0): query gradients at θ averaged",
        loop: .episodic(adapts: false), savedKind: "lora", consumption: MetaLoRAMethod.episodes,
        hyperParameters: [MetaLoRAMethod.iterations, MetaLoRAMethod.tasksPerIteration, MetaLoRAMethod.querySize,
                          MetaLoRAMethod.beta, MetaLoRAMethod.metaOptimizer, MetaLoRAMethod.lossNormalization]
            + SharedHyperParameters.adapter + SharedHyperParameters.run,
        requiredInSpec: ["iterations", "tasks_per_iteration", "query_size", "beta", "rank", "targets"],
        hashesDefaults: true,
        hooks: {
            var hooks = MethodHooks()
            hooks.resolve = { h, _ in h.adaptationSteps = 0 }
            return hooks
        }())
}

extension TrainingMethod {
    public static let sta = STAMethod.descriptor.method
}
