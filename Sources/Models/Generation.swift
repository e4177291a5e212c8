import Engine

/// Greedy decoding with a KV cache, batched over prompts, with stop strings.
public struct GreedyGenerator {
    public let decoder: LlamaDecoder
    /// Token ids that end a sequence (EOS, end-of-turn).
    public let stopTokens: Set<Int>
    /// Detokenizer used to find stop strings in the generated text.
    public let decode: ([Int]) -> String

    public init(decoder: LlamaDecoder, stopTokens: Set<Int>, decode: @escaping ([Int]) -> String) {
        self.decoder = decoder; self.stopTokens = stopTokens; self.decode = decode
    }

    public struct Result: Sendable {
        public let text: String
        public let tokens: [Int]
        /// Why generation stopped: "stop_string", "eos" or "length".
        public let finishReason: String
    }

    /// Generates up to `maxNewTokens` tokens after each prompt. The text is cut before the first
    /// stop string (which is not included), as lm-evaluation-harness's `until` does.
    public func generate(prompts: [[Int]], maxNewTokens: Int, stopStrings: [String] = [],
                         progress: ((Int) -> Void)? = nil) throws -> [Result] {
        guard !prompts.isEmpty else { return [] }
        let longest = prompts.map(\.count).max()!
        let cache = KVCache(config: decoder.config, batch: prompts.count, capacity: longest + maxNewTokens + 1)
        var generated = [[Int]](repeating: [], count: prompts.count)
        var finished = [String?](repeating: nil, count: prompts.count)
        var texts = [String](repeating: "", count: prompts.count)
        // Only each prompt's last position feeds the first generated token.
        var output = try decoder.forwardCached(prompts, cache: cache, outputs: .last)
        var lastRows = prompts.enumerated().map { b, p in p.isEmpty ? 0 : output.row(b, p.count - 1) }
        for step in 0..<maxNewTokens {
            let active = (0..<prompts.count).filter { finished[$0] == nil }
            if active.isEmpty { break }
            let logits = decoder.logits(output, rows: active.map { lastRows[$0] })
            let v = decoder.config.vocabularySize
            var next = [[Int]](repeating: [], count: prompts.count)
            for (i, b) in active.enumerated() {
                let row = logits.data + i * v
                var best = 0
                for j in 1..<v where row[j] > row[best] { best = j }
                if stopTokens.contains(best) { finished[b] = "eos"; continue }
                generated[b].append(best)
                let text = decode(generated[b])
                if let cut = stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                    texts[b] = String(text[..<cut]); finished[b] = "stop_string"; continue
                }
                texts[b] = text
                next[b] = [best]
            }
            progress?(step + 1)
            if next.allSatisfy(\.isEmpty) || step == maxNewTokens - 1 { break }
            output = try decoder.forwardCached(next, cache: cache)
            lastRows = (0..<prompts.count).map { next[$0].isEmpty ? 0 : output.row($0, 0) }
        }
        return (0..<prompts.count).map { Result(text: texts[$0], tokens: generated[$0], finishReason: finished[$0] ?? "length") }
    }
}
