import Models

/// One log-likelihood query: the raw strings *before* lm-eval's `_encode_pair` (the backend
/// applies `EncodePair` itself, so trailing context whitespace moves to the continuation).
public struct LoglikelihoodRequest: Hashable, Sendable {
    public let context: String
    public let continuation: String
    public init(context: String, continuation: String) {
        self.context = context
        self.continuation = continuation
    }
}

/// The summed log-probability (natural log) of the continuation tokens given the context, and
/// whether every continuation token was the argmax at its position (lm-eval's `is_greedy`).
public struct LoglikelihoodResult: Hashable, Sendable {
    public let loglikelihood: Double
    public let isGreedy: Bool
    public let continuationTokenCount: Int
    public init(loglikelihood: Double, isGreedy: Bool, continuationTokenCount: Int) {
        self.loglikelihood = loglikelihood
        self.isGreedy = isGreedy
        self.continuationTokenCount = continuationTokenCount
    }
}

/// Greedy generation from `prompt` until any stop sequence appears (the returned text excludes
/// the stop sequence and what follows it) or `maxNewTokens` tokens were produced.
public struct GenerationRequest: Hashable, Sendable {
    public let prompt: String
    public let stopSequences: [String]
    public let maxNewTokens: Int
    public init(prompt: String, stopSequences: [String], maxNewTokens: Int) {
        self.prompt = prompt
        self.stopSequences = stopSequences
        self.maxNewTokens = maxNewTokens
    }
}

/// What the evaluator needs from a model. The evaluator hands over all requests of a chunk of
/// items at once, in item order, so an implementation can share prefixes (the few-shot block of a
/// subject, the context of a question's choices) through its KV cache.
public protocol EvaluationBackend: AnyObject {
    /// One result per request, in request order. `progress` is called with the number of
    /// requests finished so far (monotone, ending at `requests.count`).
    func loglikelihoods(_ requests: [LoglikelihoodRequest], progress: (Int) -> Void) throws -> [LoglikelihoodResult]
    /// One generated text per request, in request order, already cut at the first stop sequence.
    func generate(_ requests: [GenerationRequest], progress: (Int) -> Void) throws -> [String]
    /// Model + adapter identity (paths, hashes, dtype) stored with every report.
    var description: String { get }
    /// Token positions run through the model so far, for throughput in progress lines.
    var tokensForwarded: Int { get }
    /// The work `loglikelihoods(requests)` would do, counted without running the model.
    func plannedCost(_ requests: [LoglikelihoodRequest]) throws -> ForwardCost
}

public extension EvaluationBackend {
    var tokensForwarded: Int { 0 }
    func plannedCost(_ requests: [LoglikelihoodRequest]) throws -> ForwardCost {
        throw EvaluationError.invalidOption("backend \(description) cannot estimate its work")
    }
}
