import ArgumentParser
import Foundation
import Models

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Greedy continuation of a prompt (KV cache, stop strings).")

    @OptionGroup var options: ModelOptions
    @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "New tokens at most.") var maxTokens = 128
    @Option(help: "Stop before this string (repeatable).") var stop: [String] = []
    @Flag(help: "Wrap the prompt in the model's chat template (e.g. ChatML for SmolLM2-Instruct).") var chat = false
    @Argument(help: "The prompt.") var prompt: String

    func validate() throws {
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1 (got \(maxTokens))") }
    }

    func run() throws {
        let m = try options.load()
        let tokenizer = try m.requireTokenizer()
        var text = prompt
        if chat {
            guard let format = tokenizer.chatFormat else {
                throw ValidationError("\(options.model) has no recognised chat template; drop --chat")
            }
            text = format.format([(role: "user", content: prompt)])
        }
        let generator = GreedyGenerator(decoder: m.decoder, stopTokens: m.stopTokenIds) { (try? tokenizer.decode($0)) ?? "" }
        let started = Date()
        let result = try generator.generate(prompts: [tokenizer.encode(text)], maxNewTokens: maxTokens, stopStrings: stop)[0]
        print(result.text)
        let seconds = Date().timeIntervalSince(started)
        note(String(format: "[%d tokens in %.2f s, %.1f tokens/s, stopped: %@]", result.tokens.count, seconds,
                    Double(result.tokens.count) / max(seconds, 1e-9), result.finishReason))
    }
}
