/// lm-evaluation-harness 0.4 `HFLM._encode_pair` and the empty-context rule of `loglikelihood`,
/// as pure functions so every backend tokenizes the pair identically.
public enum EncodePair {
    /// Moves the context's trailing whitespace to the front of the continuation
    /// (`n = len(context) - len(context.rstrip())`). Whitespace is Python's `str.isspace`.
    public static func split(context: String, continuation: String) -> (context: String, continuation: String) {
        let scalars = Array(context.unicodeScalars)
        var end = scalars.count
        while end > 0, PythonString.isSpace(scalars[end - 1]) { end -= 1 }
        if end == scalars.count { return (context, continuation) }
        var head = String.UnicodeScalarView(), tail = String.UnicodeScalarView()
        head.append(contentsOf: scalars[..<end])
        tail.append(contentsOf: scalars[end...])
        return (String(head), String(tail) + continuation)
    }

    /// Token ids for one request: after `split`, `whole = tok(context + continuation)`,
    /// `contextIds = tok(context)`, `continuationIds = whole[len(contextIds):]` — the model is fed
    /// `contextIds + continuationIds`, which differs from `whole` when tokens merge across the
    /// boundary. An empty context is scored after `prefixTokenId` (lm-eval uses the EOT/BOS
    /// token there) with the continuation tokenized alone.
    public static func tokenize(context: String, continuation: String, prefixTokenId: Int?,
                                tokenizer: (String) throws -> [Int]) throws -> (contextIds: [Int], continuationIds: [Int]) {
        if context.isEmpty {
            guard let prefix = prefixTokenId else { throw EvaluationError.emptyContextWithoutPrefixToken(continuation: continuation) }
            return ([prefix], try tokenizer(continuation))
        }
        let (ctx, cont) = split(context: context, continuation: continuation)
        let whole = try tokenizer(ctx + cont)
        let contextIds = try tokenizer(ctx)
        let continuationIds = contextIds.count <= whole.count ? Array(whole[contextIds.count...]) : []
        return (contextIds, continuationIds)
    }
}
