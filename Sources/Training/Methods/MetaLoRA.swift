import Foundation

/// MeTA-LoRA (Algorithm 1, first-order): k SGD steps on each sampled task's support set, then an
/// AdamW step of θ on the tasks' averaged query gradients.
public enum MetaLoRAMethod {
    static let paper = SharedHyperParameters.paper413

    public static let iterations = HyperParameter("iterations", .int, default: .int(1000), unit: "iterations", minimum: 1,
                                                  paper: SourcedValue("1000", paper), help: "Meta-iterations.")
    public static let tasksPerIteration = HyperParameter("tasks_per_iteration", .int, default: .int(2), unit: "tasks", minimum: 1,
                                                         paper: SourcedValue("2", paper), help: "n: tasks sampled per iteration.")
    public static let supportSize = HyperParameter("support_size", .int, default: .int(8), unit: "examples", minimum: 1,
                                                   paper: SourcedValue("8", paper), help: "n_s: support-set size per task.")
    public static let querySize = HyperParameter("query_size", .int, default: .int(8), unit: "examples", minimum: 1,
                                                 paper: SourcedValue("8", paper), help: "n_q: query-set size per task.")
    public static let adaptationSteps = HyperParameter("adaptation_steps", .int, default: .int(3), unit: "steps", minimum: 0,
                                                       paper: SourcedValue("3", paper), help: "k: plain-SGD steps on the support set (Eq. 3).")
    public static let alpha = HyperParameter("alpha", .number, default: .number(5e-6), unit: "SGD rate", minimum: 0,
                                             paper: SourcedValue("5e-6", paper), help: "α: adaptation learning rate (Eq. 3).")
    public static let beta = HyperParameter("beta", .number, default: .number(2e-6), unit: "AdamW rate", minimum: 1e-30,
                                            paper: SourcedValue("2e-6", paper), help: "β: meta-update AdamW learning rate (Eq. 5).")
    public static let metaOptimizer = HyperParameter("meta_optimizer", .string, default: .string("adamw"), choices: ["adamw"],
                                                     paper: SourcedValue("AdamW", paper), help: "Meta-update optimizer (Eq. 5); AdamW only.")
    public static let lossNormalization = HyperParameter(
        "loss_normalization", .string, default: .string(LossNormalization.exampleMean.rawValue),
        choices: LossNormalization.allCases.map(\.rawValue),
        paper: SourcedValue("example_mean", "MeTA-LoRA Eq. 4 and 6: 1/n_s Σ over examples"),
        help: "Support/query loss: example_mean (Eq. 4/6: mean over examples of each example's token mean) or token_mean (over all labelled tokens).")

    /// iterations × n × (k·n_s + n_q) samples, one optimizer step per iteration (Table 7, appendix A.2).
    static let episodes = DataConsumption(paperSource: .budget, formula: "iterations × n × (k·n_s + n_q); steps = iterations") { input in
        let h = input.hyper
        return (h.iterations * h.tasksPerIteration * (h.adaptationSteps * h.supportSize + h.querySize), h.iterations)
    }

    public static let descriptor = MethodDescriptor(
        name: "meta-lora",
        paperReference: "MeTA-LoRA §3, Algorithm 1; hyper-parameters §4.1.3, appendix A.1.2",
        summary: "Algorithm 1 with the first-order approximation (Eq. 3–6)",
        loop: .episodic(adapts: true), savedKind: "lora", consumption: episodes,
        hyperParameters: [iterations, tasksPerIteration, supportSize, querySize, adaptationSteps, alpha, beta, metaOptimizer,
                          lossNormalization] + SharedHyperParameters.adapter + SharedHyperParameters.run,
        requiredInSpec: ["iterations", "tasks_per_iteration", "support_size", "query_size", "adaptation_steps", "alpha", "beta", "rank", "targets"],
        hashesDefaults: true)
}

extension TrainingMethod {
    public static let metaLoRA = MetaLoRAMethod.descriptor.method
}
