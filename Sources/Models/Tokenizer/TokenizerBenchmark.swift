import Foundation

/// Encoding throughput, for the bench command and the speed test's log line.
public struct TokenizerThroughput: Sendable, CustomStringConvertible {
    public let bytes: Int
    public let tokens: Int
    public let seconds: Double
    public var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / 1e6 / seconds : .infinity }
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : .infinity }

    public var description: String {
        String(format: "%.2f MB in %.3f s: %.2f MB/s, %.0f tokens/s (%d tokens)",
               Double(bytes) / 1e6, seconds, megabytesPerSecond, tokensPerSecond, tokens)
    }
}

extension Tokenizer {
    /// Encodes every text once (no BOS/EOS) and reports the rate over the texts' UTF-8 size.
    /// Run it twice to see the warm-cache rate; the first pass also fills the word cache.
    public func measureThroughput(_ texts: [String]) -> TokenizerThroughput {
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }
        let start = DispatchTime.now().uptimeNanoseconds
        var tokens = 0
        for t in texts { tokens += encodeIds(t, addSpecial: false).count }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return TokenizerThroughput(bytes: bytes, tokens: tokens, seconds: seconds)
    }

    /// Throughput over whole files (e.g. MMLU's test CSVs), each file one text.
    public static func benchmarkMBPerSecond(_ tokenizer: Tokenizer, files: [URL]) throws -> TokenizerThroughput {
        let texts = try files.map { try String(contentsOf: $0, encoding: .utf8) }
        return tokenizer.measureThroughput(texts)
    }
}
