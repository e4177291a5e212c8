import ArgumentParser
import Foundation
import Training

/// `metalora`: the MeTA-LoRA reproduction harness. Model commands (inspect, tokenize, score,
/// generate, eval, train, bench) and harness commands (plan, run, run-cell, sweep, table, compare, results, data).
@main
struct Metalora: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metalora",
        abstract: "MeTA-LoRA: data-efficient multi-task fine-tuning, reproduced on CPU.",
        subcommands: [
            InspectCommand.self, TokenizeCommand.self, ScoreCommand.self, GenerateCommand.self,
            EvalCommand.self, TrainCommand.self, BenchCommand.self, SynthCheckpointCommand.self, MergeCommand.self, ExportCommand.self,
            PlanCommand.self, DeviationsCommand.self, RunCommand.self, RunCellCommandCLI.self, SweepCommand.self, SlurmTaskCommand.self,
            TableCommand.self, CompareCommandCLI.self, ResultsCommand.self, DataCommand.self,
        ])

    static func main() {
        // Past a file-size limit (ulimit -f) a write then fails with EFBIG, which the writers
        // report and clean up after, instead of SIGXFSZ killing the process mid-file.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // Usage mistakes (a bad flag or value) exit 2, as shells and getopt tools do; runtime
            // failures exit 1. ArgumentParser's own code for the former is 64 (EX_USAGE).
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
