import Foundation

/// The knobs several methods share, defined once; a method's file takes them as they are or
/// with its own default and sources (`HyperParameter.with(default:paper:authors:)`).
public enum SharedHyperParameters {
    static let paperA12 = "MeTA-LoRA appendix A.1.2"
    static let paper413 = "MeTA-LoRA §4.1.3"

    // Adapter.
    public static let rank = HyperParameter("rank", .int, default: .int(16), minimum: 1,
                                            paper: SourcedValue("16", paperA12), help: "LoRA rank r.")
    public static let loraAlpha = HyperParameter("lora_alpha", .number, default: .number(32), minimum: 0,
                                                 help: "LoRA alpha: the update is scaled by lora_alpha / rank.")
    public static let targets = HyperParameter("targets", .strings, default: .strings(["q", "k", "v", "o"]),
                                               choices: ["q", "k", "v", "o", "gate", "up", "down"],
                                               paper: SourcedValue("q, k, v, o", paperA12),
                                               help: "Projections that get an adapter (attention q, k, v, o; MLP gate, up, down).")
    public static let dropout = HyperParameter("dropout", .number, default: .number(0), minimum: 0, maximum: 1,
                                               maximumExclusive: true, help: "LoRA dropout on the adapter's input.")
    public static let adapter = [rank, loraAlpha, targets, dropout]

    // Mixed-batch training (appendix A.1.2).
    public static let lr = HyperParameter("lr", .number, default: .number(2e-4), unit: "AdamW rate", minimum: 1e-30,
                                          paper: SourcedValue("2e-4", paperA12), help: "AdamW learning rate.")
    public static let batchSize = HyperParameter("batch_size", .int, default: .int(8), unit: "sequences", minimum: 1,
                                                 paper: SourcedValue("8", paperA12), help: "Sequences per optimizer step.")
    public static let epochs = HyperParameter("epochs", .epochs, default: nil, minimum: 1,
                                              paper: SourcedValue("1 on full data, 5 at 50 per task, 10 at 100", paperA12),
                                              help: "Epochs over the mixed budget (default by budget: 1 full, 5 at 50, 10 at 100, else budget/10).")
    public static let maxSteps = HyperParameter("max_steps", .int, default: nil, unit: "steps", minimum: 1,
                                                help: "Cap on optimizer steps (default: epochs × batches); for quick runs.")
    public static let lrScheduler = HyperParameter("lr_scheduler", .string, default: .string("constant"),
                                                   choices: ["constant", "linear", "cosine"],
                                                   help: "AdamW rate schedule after warm-up: constant, linear or cosine decay to 0.")
    public static let warmupRatio = HyperParameter("warmup_ratio", .number, default: .number(0), minimum: 0, maximum: 1,
                                                   help: "Linear warm-up over this fraction of the steps (when warmup_steps is 0).")
    public static let warmupSteps = HyperParameter("warmup_steps", .int, default: .int(0), unit: "steps", minimum: 0,
                                                   help: "Linear warm-up steps of the AdamW rate.", legacyFlags: ["--warmup"])
    public static let mixedBatch = [lr, batchSize, epochs, maxSteps, lrScheduler, warmupRatio, warmupSteps]

    // Every run.
    public static let maxSeqLen = HyperParameter("max_seq_len", .int, default: .int(512), unit: "tokens", minimum: 2,
                                                 help: "Tokens per sequence after truncation.", legacyFlags: ["--max-length"])
    public static let weightDecay = HyperParameter("weight_decay", .number, default: .number(0), minimum: 0,
                                                   help: "AdamW decoupled weight decay.")
    public static let gradientClip = HyperParameter("gradient_clip", .number, default: nil, minimum: 1e-30,
                                                    help: "Global-norm gradient clipping before the AdamW step (default none).",
                                                    legacyFlags: ["--grad-clip"])
    public static let evalExamplesPerTask = HyperParameter("eval_examples_per_task", .int, default: .int(32), minimum: 0,
                                                           help: "Held-out examples per task scored before and after training.",
                                                           legacyFlags: ["--eval-examples"])
    public static let evalBatchSize = HyperParameter("eval_batch_size", .int, default: .int(8), minimum: 1,
                                                     help: "Sequences per forward when scoring held-out sets.")
    public static let checkpointEvery = HyperParameter("checkpoint_every", .int, default: .int(50), unit: "steps", minimum: 0,
                                                       help: "Steps between checkpoints (0 = only at the end).")
    public static let logEvery = HyperParameter("log_every", .int, default: .int(1), unit: "steps", minimum: 1,
                                                help: "Steps between progress lines and loss-curve points.")
    public static let run = [maxSeqLen, weightDecay, gradientClip, evalExamplesPerTask, evalBatchSize, checkpointEvery, logEvery]
}
