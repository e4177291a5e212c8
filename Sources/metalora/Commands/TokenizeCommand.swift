import ArgumentParser
import Foundation
import Models

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize",
        abstract: "Token ids of a text with the model's own tokenizer (BOS only if the model asks for it).")

    @OptionGroup var options: ModelOptions
    @Flag(help: "Print {\"ids\": [...]}.") var json = false
    @Argument(help: "The text to tokenize.") var text: String

    func run() throws {
        // Only the tokenizer is needed: GGUF metadata or tokenizer.json, not the weights.
        let tokenizer = try Tokenizer.load(modelAt: URL(fileURLWithPath: options.model))
        let ids = tokenizer.encode(text)
        if json { try printJSON(["ids": ids]) } else {
            print(ids.map(String.init).joined(separator: " "))
            print(ids.map { tokenizer.tokenString($0) ?? "?" }.joined(separator: " | "))
        }
    }
}
