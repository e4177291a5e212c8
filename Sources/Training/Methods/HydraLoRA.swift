import Foundation
import Adapters

/// HydraLoRA (Tian et al. 2024): one shared A, several B heads mixed by a per-token router.
/// MeTA-LoRA appendix A.1.2: "we adopt the default configurations suggested by HydraLoRA and adjust
/// the number of B matrices (lora_nums) to match the number of tasks", one epoch on full data.
/// Defaults below are the authors' released script, Clin0212/HydraLoRA HydraLoRA/fine-tuning.sh
/// (commit afb693b), and their layer, HydraLoRA/peft/tuners/lora.py.
public enum HydraLoRAMethod {
    static let script = "Clin0212/HydraLoRA HydraLoRA/fine-tuning.sh"
    static let layer = "Clin0212/HydraLoRA HydraLoRA/peft/tuners/lora.py"
    static let paper = "MeTA-LoRA appendix A.1.2 (HydraLoRA's defaults)"

    public static let loraNums = HyperParameter(
        "lora_nums", .headCount, default: .string("tasks"), minimum: 1,
        paper: SourcedValue("tasks", "MeTA-LoRA appendix A.1.2: lora_nums = number of tasks"),
        authors: SourcedValue("4", "\(script):22 (lora_b_nums)"),
        help: "B heads: an integer, or 'tasks' for one per training task.")

    public static let hyperParameters: [HyperParameter] = [
        SharedHyperParameters.rank.with(default: .int(4), paper: SourcedValue("4", paper), authors: SourcedValue("4", "\(script):7")),
        SharedHyperParameters.loraAlpha.with(default: .number(32), paper: SourcedValue("32", paper),
                                             authors: SourcedValue("32 (scale alpha / r)", "\(script):8; \(layer):284")),
        SharedHyperParameters.targets.with(default: .strings(["gate", "down", "up"]), paper: SourcedValue("gate, down, up", paper),
                                           authors: SourcedValue("gate_proj, down_proj, up_proj", "\(script):9")),
        // Their dropout acts on x before A with a fresh mask per head; our HydraLoRA layer has no
        // input dropout, so the key is fixed at 0 and the difference is declared.
        HyperParameter("dropout", .number, default: .number(0), minimum: 0, maximum: 0,
                       paper: SourcedValue("0.05", paper), authors: SourcedValue("0.05 on x, per head", "\(script):10; \(layer):342"),
                       help: "Input dropout: not implemented for HydraLoRA (fixed at 0)."),
        SharedHyperParameters.lr.with(default: .number(2e-4), paper: SourcedValue("2e-4", paper), authors: SourcedValue("2e-4", "\(script):6")),
        SharedHyperParameters.batchSize.with(default: .int(8), paper: SourcedValue("8", paper),
                                             authors: SourcedValue("8 (1 per device × 8 accumulation)", "\(script):15,17")),
        SharedHyperParameters.epochs.with(default: nil, authors: SourcedValue("1", "\(script):37")),
        SharedHyperParameters.maxSteps,
        SharedHyperParameters.lrScheduler.with(default: .string("cosine"), paper: SourcedValue("cosine", paper),
                                               authors: SourcedValue("cosine", "\(script):38")),
        SharedHyperParameters.warmupRatio.with(default: .number(0.03), paper: SourcedValue("0.03", paper),
                                               authors: SourcedValue("0.03", "\(script):40")),
        SharedHyperParameters.warmupSteps,
        loraNums,
        SharedHyperParameters.maxSeqLen.with(default: .int(1024), authors: SourcedValue("1024", "\(script):18")),
    ] + SharedHyperParameters.run.filter { $0.key != "max_seq_len" }

    /// HydraLoRA's initialisation (A and router Kaiming-uniform, every B = 0: lora.py:295–299).
    public static let adapter = MethodAdapter { model, hyper, tasks, rng in
        HydraLoRAAdapter(model: model, tasks: hyper.loraNums ?? tasks, rank: hyper.rank, alpha: hyper.loraAlpha,
                         targets: hyper.targets, seed: rng.next())
    }

    public static let descriptor = MethodDescriptor(
        name: "hydralora",
        paperReference: "Tian et al. 2024 (HydraLoRA); MeTA-LoRA appendix A.1.2",
        summary: "shared A, lora_nums B heads, per-token softmax router",
        loop: .mixedBatch, adapter: adapter, savedKind: "hydralora", consumption: .epochs(),
        hyperParameters: hyperParameters, requiredInSpec: ["epochs"],
        declarations: [
            MethodDeclaration(topic: "HydraLoRA dropout", ours: "none",
                              reference: SourcedValue("0.05 on the input of A, a mask per head", "\(script):10; \(layer):342"),
                              reason: "the HydraLoRA layer here has no input dropout"),
        ],
        hashesDefaults: true)
}

extension TrainingMethod {
    public static let hydraLoRA = HydraLoRAMethod.descriptor.method
}
