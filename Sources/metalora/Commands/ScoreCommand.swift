import ArgumentParser
import Foundation
import Models
import Evaluation

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "score",
        abstract: "Summed log-probability of each continuation given the context (lm-evaluation-harness convention).")

    @OptionGroup var options: ModelOptions
    @Option(help: "The context.") var context: String
    @Option(help: "A continuation (repeat for several).") var continuation: [String]
    @Flag(help: "Print {\"loglikelihoods\": [...], \"is_greedy\": [...]}.") var json = false
    @Flag(name: .customLong("no-prefix-cache"), help: "Score every request from scratch (no KV-cache reuse).") var noPrefixCache = false

    func run() throws {
        let m = try options.load()
        let backend = try ModelBackend(model: m, prefixReuse: !noPrefixCache)
        let results = try backend.loglikelihoods(continuation.map { LoglikelihoodRequest(context: context, continuation: $0) }) { _ in }
        if json {
            try printJSON(["loglikelihoods": results.map(\.loglikelihood), "is_greedy": results.map(\.isGreedy)])
        } else {
            for (c, r) in zip(continuation, results) {
                print(String(format: "%12.6f  %@  %@", r.loglikelihood, r.isGreedy ? "greedy" : "      ", c.debugDescription))
            }
        }
    }
}
