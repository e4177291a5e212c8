import ArgumentParser
import Foundation
import Engine
import Training
import Harness

/// `metalora train`: one training run, writing the adapter (PEFT layout), loss curve, checkpoints
/// and result under `--output`. Either one cell of a spec (`SPEC.yaml:ENTRY`, resolved as `plan`
/// and `run` resolve it) or the plain form (`--method M --setting S`). Its hyper-parameter flags
/// are the descriptors' keys, parsed in `Harness.TrainOptions` with `Training.HyperArguments`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train one method: a spec entry (SPEC.yaml:ENTRY) or --method on a setting's tasks (Algorithm 1 for meta-lora/sta; mixed batches for the baselines; upstream LoRAs + composition search for lorahub).",
        usage: TrainOptions.usage,
        discussion: TrainOptions.discussion)

    @OptionGroup var options: TrainOptions

    func run() throws {
        let invocation = try options.invocation(log: note)
        for line in invocation.notes { note(line) }
        Parallel.setThreads(invocation.threads)
        let result = try TrainingSession.run(invocation.request)
        if options.json {
            print(result.toJSONLine())
        } else {
            // NaN here only ever means "nothing held out" (eval_examples_per_task 0): the trainer refuses a NaN loss.
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
}
