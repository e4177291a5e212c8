import Foundation
import Adapters

/// R-LoRA (Liu, Chang & Wu 2025): HydraLoRA's structure with random multi-head initialisation and
/// multi-head dropout. Defaults are the authors' released script, jinda-liu/R-LoRA fine-tuning.sh
/// (commit fd7d442), their re-initialisation reinit.py and their layer peft/tuners/lora.py.
public enum RLoRAMethod {
    static let script = "jinda-liu/R-LoRA fine-tuning.sh"
    static let reinit = "jinda-liu/R-LoRA reinit.py"
    static let layer = "jinda-liu/R-LoRA peft/tuners/lora.py"

    public static let hyperParameters: [HyperParameter] = [
        SharedHyperParameters.rank.with(default: .int(4), authors: SourcedValue("4", "\(script):7")),
        SharedHyperParameters.loraAlpha.with(default: .number(32),
                                             authors: SourcedValue("32, scale alpha / √r (rank_stablization)", "\(script):8,42; \(reinit):16–17")),
        SharedHyperParameters.targets.with(default: .strings(["gate", "down", "up"]),
                                           authors: SourcedValue("gate_proj, down_proj, up_proj", "\(script):9")),
        HyperParameter("head_dropout", .number, default: .number(0.1), minimum: 0, maximum: 1, maximumExclusive: true,
                       authors: SourcedValue("0.1 on A x, a mask per head", "\(script):10; \(layer):342"),
                       help: "Multi-head dropout on A x, a different mask per head."),
        SharedHyperParameters.lr.with(default: .number(2e-4), authors: SourcedValue("2e-4", "\(script):6")),
        SharedHyperParameters.batchSize.with(default: .int(96), authors: SourcedValue("96 (6 per device × 16 accumulation)", "\(script):14,16")),
        SharedHyperParameters.epochs.with(default: nil, authors: SourcedValue("1", "\(script):54")),
        SharedHyperParameters.maxSteps,
        SharedHyperParameters.lrScheduler.with(default: .string("cosine"), authors: SourcedValue("cosine", "\(script):55")),
        SharedHyperParameters.warmupRatio.with(default: .number(0.03), authors: SourcedValue("0.03", "\(script):57")),
        SharedHyperParameters.warmupSteps,
        HyperParameter("heads", .headCount, default: .int(5), minimum: 1,
                       authors: SourcedValue("5", "\(script):20 (lora_b_nums)"),
                       help: "B heads: an integer, or 'tasks' for one per training task."),
        HyperParameter("stable_gamma", .number, default: .number(64), minimum: 1e-30,
                       authors: SourcedValue("64 (init_scale stable)", "\(script):25–26; \(reinit):71–76"),
                       help: "Unit initialisation rescaled by r^¼/√γ (A) and r^¼/√γ (B heads)."),
        SharedHyperParameters.maxSeqLen.with(default: .int(512), authors: SourcedValue("512", "\(script):17")),
    ] + SharedHyperParameters.run.filter { $0.key != "max_seq_len" }

    /// The authors' start: A ~ N(0, 1/in), B_i ~ N(0, 1/out) ("unit", reinit.py:35–39, 62–65), both
    /// times r^¼/√γ ("stable", reinit.py:71–76), router Kaiming-uniform; scale α/√r (reinit.py:16–17),
    /// realised as HydraLoRA's α/r with α√r in place of α. The initial output is subtracted exactly.
    public static let adapter = MethodAdapter { model, hyper, tasks, rng in
        HydraLoRAAdapter.rLoRA(model: model, tasks: hyper.heads ?? tasks, rank: hyper.rank,
                               alpha: hyper.loraAlpha * Float(hyper.rank).squareRoot(), targets: hyper.targets,
                               headDropout: hyper.headDropout, initialisation: .unitStable(gamma: hyper.stableGamma),
                               seed: rng.next())
    }

    public static let descriptor = MethodDescriptor(
        name: "rlora",
        paperReference: "Liu, Chang & Wu 2025a (R-LoRA), quoted in MeTA-LoRA Table 1",
        summary: "HydraLoRA with random multi-head initialisation and multi-head dropout",
        loop: .mixedBatch, adapter: adapter, savedKind: "rlora", consumption: .epochs(),
        hyperParameters: hyperParameters, requiredInSpec: ["epochs"],
        declarations: [
            MethodDeclaration(topic: "R-LoRA stable scaling", ours: "applied once to A and to each B head",
                              reference: SourcedValue("inside the loop over heads, so A is rescaled once per head", "\(reinit):45–76"),
                              reason: "the released loop's indentation compounds the factor; we apply the factor the method describes"),
            MethodDeclaration(topic: "R-LoRA initial output", ours: "subtracted exactly at run time (frozen copy of the initial heads and router)",
                              reference: SourcedValue("head average folded into W", "\(reinit):97–126"),
                              reason: "folding is exact only for a uniform router"),
        ],
        hashesDefaults: true)
}

extension TrainingMethod {
    public static let rLoRA = RLoRAMethod.descriptor.method
}
