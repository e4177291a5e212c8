import ArgumentParser
import Training

/// `metalora`: the MeTA-LoRA reproduction harness. Model commands (inspect, tokenize, score,
/// generate, eval, train, bench) and harness commands (plan, run, run-cell, sweep, table, results, data).
@main
struct Metalora: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metalora",
        abstract: "MeTA-LoRA: data-efficient multi-task fine-tuning, reproduced on CPU.",
        subcommands: [
            InspectCommand.self, TokenizeCommand.self, ScoreCommand.self, GenerateCommand.self,
            EvalCommand.self, TrainCommand.self, BenchCommand.self,
            PlanCommand.self, DeviationsCommand.self, RunCommand.self, RunCellCommandCLI.self, SweepCommand.self,
            TableCommand.self, ResultsCommand.self, DataCommand.self,
        ])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
