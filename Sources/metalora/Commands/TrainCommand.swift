import ArgumentParser
import Foundation
import Models
import Engine
import Data
import Training
import Harness

/// `metalora train`: one training run (MeTA-LoRA, -STA, LoRA, … on a setting's tasks), writing the
/// adapter (PEFT layout), loss curve, checkpoints and result under `--output`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one method on a setting's tasks (Algorithm 1 for meta-lora/sta; mixed batches for the baselines; upstream LoRAs + composition search for lorahub).")

    @Option(help: "meta-lora | sta | lora | hydralora | rlora | loramoe | lorahub | base")
    var method: String = "meta-lora"
    @Option(help: "five-task | five-task-winogrande | flanv2-43 | multilingual")
    var setting: String = "five-task"
    @Option(help: "Comma-separated task ids to restrict the setting to.")
    var tasks: String?
    @Option(help: "A GGUF file or a Hugging Face folder.")
    var model: String = "models/SmolLM2-135M-Instruct.Q4_1.gguf"
    @Option(parsing: .unconditional, help: "Examples per task drawn once from each pool ('full' = the whole pool).")
    var budget: String = "50"
    @Option(help: "How the budget is picked: random (seeded draw) | bm25 | dsir (top examples per task for --selection-target; Table 13).")
    var selection: String = "random"
    @Option(help: "Benchmarks whose evaluation inputs bm25/dsir rank examples against, comma-separated (the paper selects for bbh).")
    var selectionTarget: String?
    @Option(parsing: .unconditional, help: "MeTA-LoRA iterations (paper: 1000).") var iterations: Int?
    @Option(parsing: .unconditional, help: "Baseline epochs (default by budget: 5 at 50, 10 at 100, 1 on full data).") var epochs: Int?
    @Option(parsing: .unconditional, help: "n: tasks per iteration (paper: 2).") var tasksPerIteration: Int?
    @Option(parsing: .unconditional, help: "n_s: support-set size (paper: 8).") var supportSize: Int?
    @Option(parsing: .unconditional, help: "n_q: query-set size (paper: 8).") var querySize: Int?
    @Option(parsing: .unconditional, help: "k: adaptation steps (paper: 3).") var adaptationSteps: Int?
    @Option(parsing: .unconditional, help: "α: adaptation rate, Eq. 3 (paper: 5e-6).") var alpha: Double?
    @Option(parsing: .unconditional, help: "β: meta-update AdamW rate, Eq. 5 (paper: 2e-6).") var beta: Double?
    @Option(parsing: .unconditional, help: "Baseline AdamW rate (paper: 2e-4).") var lr: Double?
    @Option(parsing: .unconditional, help: "Baseline batch size (paper: 8).") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Cap on the baselines' optimizer steps (quick runs).") var maxSteps: Int?
    @Option(parsing: .unconditional, help: "LoRAHub: at most this many upstream LoRAs, one per task (default: all tasks up to 20).") var nLoras: Int?
    @Option(parsing: .unconditional, help: "LoRAHub: evaluations of the CMA-ES composition search (default 40).") var searchSteps: Int?
    @Option(parsing: .unconditional, help: "LoRA rank (paper: 16).") var rank: Int?
    @Option(parsing: .unconditional, help: "LoRA alpha (scale = alpha / rank).") var loraAlpha: Float?
    @Option(parsing: .unconditional, help: "LoRA dropout.") var dropout: Float?
    @Option(parsing: .unconditional, help: "Maximum tokens per sequence (default 512).") var maxLength: Int?
    @Option(parsing: .unconditional, help: "Run seed (budgets, sampling, initialisation).") var seed: UInt64?
    @Option(parsing: .unconditional, help: "AdamW weight decay.") var weightDecay: Double?
    @Option(parsing: .unconditional, help: "Linear warm-up steps.") var warmup: Int?
    @Option(parsing: .unconditional, help: "Global-norm gradient clipping.") var gradClip: Double?
    @Option(parsing: .unconditional, help: "Held-out examples per task for the eval loss (default 32).") var evalExamples: Int?
    @Option(parsing: .unconditional, help: "Steps between checkpoints (0 = only at the end).") var checkpointEvery: Int?
    @Option(help: "Data mirror (default: $METALORA_DATA or ./data).") var dataDir: String?
    @Option(help: "Output folder (adapter/, loss-curve.jsonl, checkpoint/, result.json).") var output: String = "runs/train"
    @Option(parsing: .unconditional, help: "Threads for OpenBLAS and the engine's loops.") var threads: Int?
    @Option(help: ArgumentHelp(Precision.help)) var precision: Precision = .f32
    @Option(help: ArgumentHelp(WeightResidency.help)) var weights: WeightResidency = .auto
    @Option(help: "MeTA-LoRA loop: batched | sequential.") var loop: String = "batched"
    @Option(name: .customLong("recompute-mlp-from"), parsing: .unconditional, help: "Recompute the MLP's gate/up in the backward pass for batches at least this many tokens wide (0 = always; saves ~55% of activation memory for ~12% more compute; default 1024).")
    var recomputeMLPFrom: Int?
    @Option(parsing: .unconditional, help: "What the backward pass recomputes: auto | none | mlp | layer. auto (default) recomputes gate/up from --recompute-mlp-from tokens and whole layers (only the residual stream kept per layer, one more forward's products) when the activations would exceed 4 GiB; results are bit-identical in every case.")
    var recompute: String = "auto"
    @Flag(help: "Start from scratch even if the output folder holds a checkpoint.") var noResume = false
    @Flag(help: "End with one JSON line (method, optimizer_steps, samples_processed, tokens_processed, wall_s, initial/final_eval_loss, adapter; lorahub adds its weights file and the upstream/search split of the counters).")
    var json = false

    func validate() throws { try requirePositiveThreads(threads) }

    func run() throws {
        let method = try TrainingMethod.named(self.method)
        var budgetPerTask: Int?
        if budget.lowercased() != "full" {
            guard let b = Int(budget) else { throw ValidationError("--budget must be a number or 'full' (got \(budget))") }
            budgetPerTask = b
        }
        var h = TrainingHyperParameters.defaults(for: method, budgetPerTask: budgetPerTask)
        if let v = iterations { h.iterations = v }
        if let v = epochs { h.epochs = v }
        if let v = tasksPerIteration { h.tasksPerIteration = v }
        if let v = supportSize { h.supportSize = v }
        if let v = querySize { h.querySize = v }
        if let v = adaptationSteps { h.adaptationSteps = v }
        if let v = alpha { h.alpha = v }
        if let v = beta { h.beta = v }
        if let v = lr { h.lr = v }
        if let v = batchSize { h.batchSize = v }
        if let v = maxSteps { h.maxSteps = v }
        if let v = nLoras { h.nLoras = v }
        if let v = searchSteps { h.searchSteps = v }
        if let v = rank { h.rank = v }
        if let v = loraAlpha { h.loraAlpha = v }
        if let v = dropout { h.dropout = v }
        if let v = maxLength { h.maxSeqLen = v }
        if let v = seed { h.seed = v }
        if let v = weightDecay { h.weightDecay = v }
        if let v = warmup { h.warmupSteps = v }
        if let v = gradClip { h.gradientClip = v }
        if let v = evalExamples { h.evalExamplesPerTask = v }
        if let v = checkpointEvery { h.checkpointEvery = v }
        guard let loopKind = MetaLoRALoop(rawValue: loop) else {
            throw ValidationError("--loop must be batched or sequential (got \(loop))")
        }
        Parallel.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)

        var options = TrainingOptions(outputDirectory: URL(fileURLWithPath: output))
        options.loop = loopKind
        options.precision = precision
        options.weights = weights
        if let v = recomputeMLPFrom {
            guard v >= 0 else { throw ValidationError("--recompute-mlp-from must be 0 or more (got \(v))") }
            options.recomputeMLPFromLength = v
        }
        if recompute != "auto" {
            guard let r = ActivationRecomputation(rawValue: recompute) else {
                throw ValidationError("--recompute must be auto, none, mlp or layer (got \(recompute))")
            }
            options.recompute = r
        }
        options.resume = !noResume
        options.progress = TrainingProgress.stderrPrinter
        options.log = note
        let request = TrainingRequest(method: method, setting: setting,
                                      tasks: tasks.map { $0.split(separator: ",").map { String($0) } },
                                      modelPath: model, dataDirectory: DataDirectory.resolve(explicit: dataDir),
                                      hyper: h, options: options, selection: try dataSelection())
        let result = try TrainingSession.run(request)
        if json {
            print(result.toJSONLine())
        } else {
            // NaN here only ever means "nothing held out" (--eval-examples 0): the trainer refuses a NaN loss.
            func loss(_ v: Double) -> String { v.isFinite ? String(format: "%.4f", v) : "not measured" }
            print("\(result.method.rawValue): eval loss \(loss(result.initialEvalLoss)) → "
                  + "\(loss(result.finalEvalLoss)); \(result.optimizerSteps) optimizer steps, "
                  + "\(result.samplesProcessed) samples, \(result.tokensProcessed) tokens, "
                  + "\(String(format: "%.1f", result.wallSeconds)) s; adapter \(result.adapterPath ?? "-")")
            if let weights = result.record["lorahub_weights"] {
                print("lorahub weights: \(weights) (\(result.record["lorahub_weights_file"] ?? "-"))")
            }
        }
    }

    /// `--selection` and `--selection-target` as a request's data selection (nil for random draws).
    func dataSelection() throws -> TrainingDataSelection? {
        if selection == "random" {
            if selectionTarget != nil { throw ValidationError("--selection-target applies to --selection bm25 or dsir, not random") }
            return nil
        }
        guard let method = SelectionMethod(rawValue: selection) else {
            throw ValidationError("--selection must be random, bm25 or dsir (got \(selection))")
        }
        let names = (selectionTarget ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else {
            throw ValidationError("--selection \(selection) needs --selection-target BENCHMARK[,…] (\(Registry.benchmarks.joined(separator: ", ")))")
        }
        for name in names where !Registry.benchmarks.contains(name) {
            throw ValidationError("--selection-target: unknown benchmark '\(name)'; valid: \(Registry.benchmarks.joined(separator: ", "))")
        }
        return TrainingDataSelection(method: method, target: try SelectionTargets.load(names, dataDirectory: dataDir))
    }
}
