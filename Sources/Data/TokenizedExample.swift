import Foundation

/// Token ids of one example and its labels: -100 on prompt tokens so the loss covers the
/// response only (the model is not trained to reproduce its prompts), the response's own ids elsewhere, EOS included.
public struct TokenizedExample: Sendable, Equatable {
    public static let ignoreLabel = -100

    public let exampleID: String
    public let task: String
    public let inputIDs: [Int]
    public let labels: [Int]
    /// Tokens of the prompt kept after truncation.
    public let promptTokenCount: Int
    /// True when prompt + response + EOS exceeded the maximum length and was cut.
    public let truncated: Bool

    /// Number of tokens that carry loss.
    public var responseTokenCount: Int { labels.lazy.filter { $0 != TokenizedExample.ignoreLabel }.count }

    /// Token ids made elsewhere (e.g. a benchmark prompt and its gold answer tokenized the way the
    /// evaluator feeds them, LoRAHub's target examples); `labels` aligned with `inputIDs`.
    public init(exampleID: String, task: String, inputIDs: [Int], labels: [Int], promptTokenCount: Int, truncated: Bool) {
        precondition(inputIDs.count == labels.count, "TokenizedExample: \(inputIDs.count) ids but \(labels.count) labels")
        self.exampleID = exampleID; self.task = task; self.inputIDs = inputIDs; self.labels = labels
        self.promptTokenCount = promptTokenCount; self.truncated = truncated
    }
}

/// Turns examples into token ids with a caller-supplied tokenizer (the Models tokenizer, or a
/// fake in tests), so this module does not depend on a tokenizer API.
///
/// Prompt and response are tokenized separately and concatenated: the mask boundary is then
/// exact, whatever merges the tokenizer would make across it. The closure must not add special
/// tokens itself; pass `bosID` to prepend BOS to the prompt. Sequences longer than `maxLength`
/// keep their first `maxLength` tokens (right truncation, as Alpaca-style trainers do); a
/// truncated example may lose its EOS or, if the prompt alone is too long, all of its loss
/// tokens — both are counted in the report.
public struct ExampleTokenizer {
    public static let defaultMaxLength = 512

    public let format: PromptFormat
    public let maxLength: Int
    public let eosID: Int
    public let bosID: Int?
    public let tokenize: (String) -> [Int]

    public init(format: PromptFormat, maxLength: Int = ExampleTokenizer.defaultMaxLength, eosID: Int, bosID: Int? = nil,
                tokenize: @escaping (String) -> [Int]) throws {
        guard maxLength > 1 else { throw DataError.invalidParameter("max length must be at least 2 (got \(maxLength))") }
        self.format = format
        self.maxLength = maxLength
        self.eosID = eosID
        self.bosID = bosID
        self.tokenize = tokenize
    }

    public func callAsFunction(_ example: TrainingExample) -> TokenizedExample {
        let (prompt, response) = format.render(example)
        let promptIDs = (bosID.map { [$0] } ?? []) + tokenize(prompt)
        let responseIDs = tokenize(response) + [eosID]
        var ids = promptIDs + responseIDs
        var labels = [Int](repeating: TokenizedExample.ignoreLabel, count: promptIDs.count) + responseIDs
        let truncated = ids.count > maxLength
        if truncated {
            ids.removeLast(ids.count - maxLength)
            labels.removeLast(labels.count - maxLength)
        }
        return TokenizedExample(exampleID: example.id, task: example.task, inputIDs: ids, labels: labels,
                                promptTokenCount: Swift.min(promptIDs.count, maxLength), truncated: truncated)
    }

    /// Tokenizes a batch and reports how many were truncated.
    public func tokenizeAll(_ examples: [TrainingExample]) -> (examples: [TokenizedExample], report: TruncationReport) {
        let out = examples.map { self($0) }
        return (out, TruncationReport(out, maxLength: maxLength))
    }
}

/// How many examples hit the maximum length, for the run log: truncation cuts responses, and a
/// reader of the loss needs to know how many.
public struct TruncationReport: Sendable, Equatable, CustomStringConvertible {
    public let total: Int
    public let truncated: Int
    /// Truncated so far that no response token is left (the example contributes no loss).
    public let withoutResponseTokens: Int
    public let maxLength: Int

    public init(_ examples: [TokenizedExample], maxLength: Int) {
        total = examples.count
        truncated = examples.filter(\.truncated).count
        withoutResponseTokens = examples.filter { $0.responseTokenCount == 0 }.count
        self.maxLength = maxLength
    }

    /// The setting that sets `maxLength`, as errors name it.
    public static let settingName = "max_seq_len (--max-seq-len; the same key in a spec or profile)"

    public var description: String {
        "\(truncated) of \(total) examples truncated to \(maxLength) tokens" + (withoutResponseTokens > 0 ? " (\(withoutResponseTokens) left without response tokens)" : "")
    }
}
