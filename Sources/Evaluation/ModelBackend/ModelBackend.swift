import Foundation
import Engine
import Models

/// The evaluation backend over our own decoder: lm-eval's log-likelihood and greedy-generation
/// requests, batched, with KV-cache reuse of shared prefixes.
///
/// Scoring follows lm-evaluation-harness 0.4 exactly (`EncodePair`): the model is fed
/// tok(context) followed by the continuation's tokens from the joint tokenization, and the
/// continuation's summed log-probability is returned with `is_greedy`.
public final class ModelBackend: EvaluationBackend {
    public let model: LanguageModel
    public let tokenizer: Tokenizer
    /// Reuse KV caches for shared prefixes (few-shot blocks, a question's context across its choices).
    public var prefixReuse: Bool
    /// Rows per batch of the no-reuse path (B·T ≤ this).
    public var maxBatchTokens: Int
    /// Identity of the adapter applied, if any, for reports.
    public var adapterDescription: String?
    /// Longest sequence fed to the model; longer requests lose tokens from the left of the context,
    /// as lm-evaluation-harness truncates to the model's max length. Defaults to the context length
    /// (at least 2048).
    public var maxLength: Int
    /// Requests whose context was left-truncated so far (reported, never silent).
    public private(set) var truncatedRequests = 0
    /// Work done by the decoder so far (padding included), for throughput reports.
    public internal(set) var cost = ForwardCost()
    public var tokensForwarded: Int { cost.tokens }

    public init(model: LanguageModel, prefixReuse: Bool = true, maxBatchTokens: Int = 4096) throws {
        self.model = model
        self.tokenizer = try model.requireTokenizer()
        self.prefixReuse = prefixReuse
        self.maxBatchTokens = maxBatchTokens
        // The model's context length, but at least lm-eval's default 2048: tiny test models with a
        // 128-token context could not hold byte-level continuations (RoPE works past it).
        self.maxLength = min(max(model.config.contextLength, 2048), model.decoder.rope.maxT)
    }

    public var description: String {
        var s = "\(model.url.lastPathComponent) (\(model.format.rawValue), sha256 \(model.fileHash.prefix(12)), max length \(maxLength), \(model.decoder.precision) products, \(model.weights.residency) weights)"
        if let adapterDescription { s += " + adapter \(adapterDescription)" }
        return s
    }

    /// A request as token ids: what is fed (`context + continuation`) and which positions score.
    struct Tokenized {
        let context: [Int]
        let continuation: [Int]
    }

    func tokenize(_ r: LoglikelihoodRequest) throws -> Tokenized {
        let (tokenized, truncated) = try fitted(r)
        if truncated { truncatedRequests += 1 }
        return tokenized
    }

    /// Token ids of `context + continuation` exactly as a scored request is fed (lm-eval pair
    /// encoding, context left-truncated to `maxLength`), without counting it among the scored
    /// requests: LoRAHub's target examples are tokenized like the items they stand in for.
    public func encode(_ r: LoglikelihoodRequest) throws -> (context: [Int], continuation: [Int]) {
        let t = try fitted(r).tokenized
        return (t.context, t.continuation)
    }

    func fitted(_ r: LoglikelihoodRequest) throws -> (tokenized: Tokenized, truncated: Bool) {
        let prefix = tokenizer.bosId ?? tokenizer.eosId
        let (ctx, cont) = try EncodePair.tokenize(context: r.context, continuation: r.continuation, prefixTokenId: prefix) {
            tokenizer.encode($0)
        }
        guard !cont.isEmpty else {
            throw EvaluationError.invalidOption("continuation \"\(r.continuation)\" tokenizes to nothing after context …\(r.context.suffix(40))")
        }
        // lm-eval feeds (context + continuation)[-(max_length + 1):][:-1]: drop context from the left.
        let excess = ctx.count + cont.count - 1 - maxLength
        if excess > 0 {
            guard excess < ctx.count else {
                throw EvaluationError.invalidOption("continuation of \(cont.count) tokens does not fit the model's \(maxLength)-token context")
            }
            return (Tokenized(context: Array(ctx[excess...]), continuation: cont), true)
        }
        return (Tokenized(context: ctx, continuation: cont), false)
    }

    public func loglikelihoods(_ requests: [LoglikelihoodRequest], progress: (Int) -> Void) throws -> [LoglikelihoodResult] {
        let tokenized = try requests.map(tokenize)
        let results = prefixReuse ? try scoreWithPrefixReuse(tokenized, progress: progress)
                                  : try scoreBatched(tokenized, progress: progress)
        // NaN or inf weights (or an adapter that holds them) give NaN scores, which would rank
        // choices arbitrarily and print "nan" as a metric.
        if let bad = results.firstIndex(where: { !$0.loglikelihood.isFinite }) {
            throw EvaluationError.nonFiniteLoglikelihood(model: model.url.path, value: results[bad].loglikelihood,
                                                         continuation: requests[bad].continuation)
        }
        return results
    }

    /// The work `loglikelihoods(requests)` would do, counted from the same tokenization and plan
    /// (reuse windows, or no-reuse batches) without running the model.
    public func plannedCost(_ requests: [LoglikelihoodRequest]) throws -> ForwardCost {
        let tokenized = try requests.map { try fitted($0).tokenized }
        if prefixReuse { return plannedCostWithPrefixReuse(tokenized) }
        var cost = ForwardCost()
        for (chunk, seqLen) in batchesWithoutReuse(tokenized) {
            cost += .full(batch: chunk.count, seqLen: seqLen, layers: model.config.layerCount)
            cost.logitRows += chunk.reduce(0) { $0 + tokenized[$1].continuation.count }
        }
        return cost
    }

    // MARK: No reuse: right-padded batches of whole sequences.

    /// The no-reuse batches: request indices, longest first (as lm-eval does, so padding stays
    /// small within a batch), with B·longest ≤ maxBatchTokens; and the padded length each is fed at
    /// (a multiple of 64, so activation buffers are reused across batches).
    func batchesWithoutReuse(_ requests: [Tokenized]) -> [(requests: [Int], seqLen: Int)] {
        let fedLength = { (i: Int) in requests[i].context.count + requests[i].continuation.count - 1 }
        let order = requests.indices.sorted { fedLength($0) > fedLength($1) }
        var batches: [(requests: [Int], seqLen: Int)] = []
        var start = 0
        while start < order.count {
            let longest = fedLength(order[start])
            let rowsPerBatch = max(1, maxBatchTokens / max(longest, 1))
            let chunk = Array(order[start..<min(order.count, start + rowsPerBatch)])
            batches.append((chunk, (longest + 63) / 64 * 64))
            start += chunk.count
        }
        return batches
    }

    func scoreBatched(_ requests: [Tokenized], progress: (Int) -> Void) throws -> [LoglikelihoodResult] {
        var results = [LoglikelihoodResult?](repeating: nil, count: requests.count)
        var done = 0
        for (chunk, seqLen) in batchesWithoutReuse(requests) {
            // Fed: context + continuation minus its last token; row position ctx-1+j predicts continuation[j].
            let fed = chunk.map { Array((requests[$0].context + requests[$0].continuation).dropLast()) }
            var batch = TokenBatch(inputIds: fed.map { $0 + [Int](repeating: 0, count: seqLen - $0.count) },
                                   attentionMask: fed.map { [Int](repeating: 1, count: $0.count) + [Int](repeating: 0, count: seqLen - $0.count) })
            for (row, i) in chunk.enumerated() {
                let r = requests[i]
                for (j, tok) in r.continuation.enumerated() {
                    batch.targets[row * batch.seqLen + r.context.count - 1 + j] = Int32(tok)
                }
            }
            let acts = activations(batch: batch.batch, seqLen: batch.seqLen)
            try model.decoder.forward(batch, acts)
            cost += .full(batch: batch.batch, seqLen: batch.seqLen, layers: model.config.layerCount)
            cost.logitRows += chunk.reduce(0) { $0 + requests[$1].continuation.count }
            let (logProbs, greedy) = model.decoder.scoreTargets(batch, acts)
            for (row, i) in chunk.enumerated() {
                let r = requests[i]
                var sum = 0.0, allGreedy = true
                for j in 0..<r.continuation.count {
                    let p = row * batch.seqLen + r.context.count - 1 + j
                    sum += logProbs[p]; allGreedy = allGreedy && greedy[p]
                }
                results[i] = LoglikelihoodResult(loglikelihood: sum, isGreedy: allGreedy, continuationTokenCount: r.continuation.count)
            }
            done += chunk.count
            progress(done)
        }
        return results.map { $0! }
    }

    /// Inference activations, one set per (batch, length) shape, kept for reuse.
    var activationCache: [String: DecoderActivations] = [:]
    func activations(batch: Int, seqLen: Int) -> DecoderActivations {
        let key = "\(batch)x\(seqLen)"
        if let a = activationCache[key] { return a }
        if activationCache.count >= 4 { activationCache.removeAll() }
        let a = DecoderActivations(config: model.config, batch: batch, seqLen: seqLen, saveForBackward: false)
        activationCache[key] = a
        return a
    }

    // MARK: Prefix reuse (windows of items over one KV cache: PrefixReuseScoring.swift).

    func forwardCounted(_ rows: [[Int]], cache: KVCache, outputs: CachedOutputs) throws -> IncrementalOutput {
        let output = try model.decoder.forwardCached(rows, cache: cache, outputs: outputs)
        cost += .cached(starts: rows.indices.map { cache.lengths[$0] - rows[$0].count }, counts: rows.map(\.count),
                        outputs: outputs, layers: model.config.layerCount)
        return output
    }

    /// Items scored together in one window (`PrefixReuseScoring`): their remainders are packed into
    /// one forward; more items make larger, more efficient matrix products but need one KV-cache
    /// row each.
    public var itemsPerForward = 16
    /// Memory the prefix-reuse KV cache may take (it holds one row per item and branch of a window).
    public var cacheBudgetBytes = 2 << 30
    /// The prefix-reuse KV cache of the last scoring call (`prefixReuseCache`).
    var reusableCache: KVCache?
    /// KV caches allocated for prefix reuse so far: one per call that needed a larger one.
    public internal(set) var prefixReuseCacheAllocations = 0
    /// Packed positions per forward of a window (bounds the activation buffers, ~31 KB per position
    /// for SmolLM2).
    static let maxWindowTokens = 8192

    // MARK: Generation

    public func generate(_ requests: [GenerationRequest], progress: (Int) -> Void) throws -> [String] {
        let generator = GreedyGenerator(decoder: model.decoder, stopTokens: model.stopTokenIds) { [tokenizer] ids in
            (try? tokenizer.decode(ids)) ?? ""
        }
        var out = [String](repeating: "", count: requests.count)
        // Same settings batch together; longest prompts first.
        // lm-eval keeps the last (max_length - max_gen_toks) prompt tokens.
        let prompts = requests.map { r -> [Int] in
            let ids = tokenizer.encode(r.prompt)
            let keep = max(1, maxLength - r.maxNewTokens)
            if ids.count > keep { truncatedRequests += 1; return Array(ids.suffix(keep)) }
            return ids
        }
        let order = requests.indices.sorted { prompts[$0].count > prompts[$1].count }
        var done = 0, start = 0
        while start < order.count {
            let first = requests[order[start]]
            let rowsPerBatch = max(1, min(8, maxBatchTokens / max(prompts[order[start]].count + first.maxNewTokens, 1)))
            var chunk: [Int] = []
            for i in order[start...] {
                guard chunk.count < rowsPerBatch, requests[i].stopSequences == first.stopSequences,
                      requests[i].maxNewTokens == first.maxNewTokens else { break }
                chunk.append(i)
            }
            let results = try generator.generate(prompts: chunk.map { prompts[$0] }, maxNewTokens: first.maxNewTokens,
                                                 stopStrings: first.stopSequences)
            for (i, r) in zip(chunk, results) { out[i] = r.text }
            done += chunk.count
            progress(done)
            start += chunk.count
        }
        return out
    }
}

/// Log-softmax of one row of logits, computed once and queried for several tokens.
struct LogSoftmaxRow {
    let logits: [Float]
    let logSumExp: Double
    let argmax: Int

    init(_ row: UnsafePointer<Float>, count: Int) {
        logits = Array(UnsafeBufferPointer(start: row, count: count))
        var best = 0
        for j in 1..<count where logits[j] > logits[best] { best = j }
        argmax = best
        let m = Double(logits[best])
        var sum = 0.0
        for x in logits { sum += Foundation.exp(Double(x) - m) }
        logSumExp = m + Foundation.log(sum)
    }

    func logProb(_ token: Int) -> Double { Double(logits[token]) - logSumExp }
    func isArgmax(_ token: Int) -> Bool { token == argmax }
}
