import Foundation
import Adapters

/// LoRA-MoE as MOELoRA (Liu et al. 2024a): LoRA experts splitting the rank, mixed by a dense
/// gate on a learned task embedding. Defaults are the authors' released script,
/// liuqidong07/MOELoRA-peft experiments/moelora.bash (commit on the mirror), and src/MLoRA/arguments.py.
public enum LoRAMoEMethod {
    static let script = "liuqidong07/MOELoRA-peft experiments/moelora.bash"
    static let arguments = "liuqidong07/MOELoRA-peft src/MLoRA/arguments.py"

    public static let hyperParameters: [HyperParameter] = [
        SharedHyperParameters.rank.with(default: .int(16), authors: SourcedValue("16", "\(script):1")),
        SharedHyperParameters.loraAlpha.with(default: .number(32), authors: SourcedValue("32", "\(arguments):69")),
        SharedHyperParameters.targets.with(default: .strings(["q", "k", "v", "o", "gate", "up", "down"]),
                                           authors: SourcedValue("every linear layer (ChatGLM query_key_value, dense, dense_h_to_4h, dense_4h_to_h)", "\(script):2")),
        HyperParameter("dropout", .number, default: .number(0), minimum: 0, maximum: 0,
                       authors: SourcedValue("0.1", "\(script):4"),
                       help: "LoRA dropout: not implemented for LoRA-MoE (fixed at 0)."),
        SharedHyperParameters.lr.with(default: .number(2e-4), authors: SourcedValue("2e-4", "\(script):5")),
        SharedHyperParameters.batchSize.with(default: .int(8), authors: SourcedValue("64 (4 per device × 4 accumulation × 4 GPUs)", "\(script):17,30,32")),
        SharedHyperParameters.epochs.with(default: nil, authors: SourcedValue("max_steps 8000", "\(script):6")),
        SharedHyperParameters.maxSteps,
        SharedHyperParameters.lrScheduler, SharedHyperParameters.warmupRatio, SharedHyperParameters.warmupSteps,
        HyperParameter("experts", .int, default: .int(8), minimum: 1, authors: SourcedValue("8", "\(script):43"),
                       help: "Experts; the rank is split evenly across them."),
        SharedHyperParameters.maxSeqLen.with(default: .int(1024), authors: SourcedValue("1024 source + 196 target", "\(script):12,29")),
    ] + SharedHyperParameters.run.filter { $0.key != "max_seq_len" }

    public static let adapter = MethodAdapter(sequenceGroupsAreTasks: true) { model, hyper, tasks, rng in
        guard hyper.rank % hyper.experts == 0 else {
            throw TrainingError.invalidHyperParameter("LoRA-MoE splits rank \(hyper.rank) across \(hyper.experts) experts: it must divide evenly")
        }
        return LoRAMoEAdapter(model: model, tasks: tasks, rank: hyper.rank, alpha: hyper.loraAlpha,
                              experts: hyper.experts, targets: hyper.targets, seed: rng.next())
    }

    public static let descriptor = MethodDescriptor(
        name: "loramoe",
        paperReference: "Liu et al. 2024a (MOELoRA), quoted in MeTA-LoRA Table 1",
        summary: "LoRA experts with a dense task-conditioned gate",
        loop: .mixedBatch, adapter: adapter, savedKind: "loramoe", consumption: .epochs(),
        hyperParameters: hyperParameters, requiredInSpec: ["epochs"],
        declarations: [
            MethodDeclaration(topic: "LoRA-MoE on tasks it never saw", ours: LoRAMoEAdapter.unseenTaskRule,
                              reference: SourcedValue("the gate reads the item's task id; no rule for unseen tasks",
                                                      "liuqidong07/MOELoRA-peft src/MLoRA/peft/tuners/mmoeloraS.py:157"),
                              reason: "benchmark items (BBH, MMLU) belong to no training task"),
            MethodDeclaration(topic: "LoRA-MoE dropout", ours: "none", reference: SourcedValue("0.1", "\(script):4"),
                              reason: "the LoRA-MoE layer here has no dropout"),
            MethodDeclaration(topic: "LoRA-MoE batch size", ours: "8 (the paper's LoRA batch, appendix A.1.2)",
                              reference: SourcedValue("64", "\(script):17,30,32"),
                              reason: "the MeTA-LoRA comparison trains every baseline in batches of 8 for one epoch"),
        ],
        hashesDefaults: true)
}

extension TrainingMethod {
    public static let loraMoE = LoRAMoEMethod.descriptor.method
}
