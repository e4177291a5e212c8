// Token counts behind plan's cost: how long the training examples of a cell's tasks are once
// tokenized in the trainer's prompt format, and the work an evaluation does (tokens, query–key
// pairs, logit rows), counted from the prepared benchmark items with the model's tokenizer and
// without loading any weights. Counting takes seconds, so results are cached per key in
// results/plan-cache.json; the cache is only a speed-up (delete it at will).
import Foundation
import Models
import struct Data.DataDirectory
import struct Data.TaskPool
import enum Data.TaskRegistry
import Training
import Evaluation

public struct TrainingLengths: Codable, Equatable, Sendable {
    /// Tokenized lengths (after truncation) of up to `perTask` examples of each task, pooled.
    public var lengths: [Int]
}

/// The work of one evaluation in ForwardCost's units (prefix reuse: each subset's shared few-shot
/// prefix is computed once, each item's own tokens once, each continuation once).
public struct EvaluationWork: Codable, Equatable, Sendable {
    public var items: Int
    public var tokens: Int
    public var attentionPairs: Int
    public var logitRows: Int
    /// Tokens generated (generation-scored benchmarks: at most max_new_tokens per item).
    public var generatedTokens: Int
    /// The longest request in tokens (KV-cache and activation memory).
    public var longestRequest: Int
}

public final class WorkloadTokens {
    let cacheURL: URL
    let tokenizer: Tokenizer
    let tokenizerKey: String
    let dataDirectory: String?
    var cache: [String: JSONValue]

    /// Up to this many examples per task are tokenized for the length distribution.
    public static let examplesPerTask = 200

    public init(tokenizerModel: URL, cacheURL: URL, dataDirectory: String? = nil) throws {
        tokenizer = try Tokenizer.load(modelAt: tokenizerModel)
        let attributes = try? FileManager.default.attributesOfItem(atPath: tokenizerModel.path)
        tokenizerKey = "\(tokenizerModel.lastPathComponent):\((attributes?[.size] as? Int) ?? 0)"
        self.cacheURL = cacheURL
        self.dataDirectory = dataDirectory
        if let data = try? Data(contentsOf: cacheURL), case .object(let o)? = try? JSONValue.parse(String(decoding: data, as: UTF8.self)) {
            cache = o
        } else { cache = [:] }
    }

    func cached<T: Codable>(_ key: String, _ compute: () throws -> T) throws -> T {
        if let v = cache[key], let data = v.canonical.data(using: .utf8), let t = try? JSONDecoder().decode(T.self, from: data) { return t }
        let t = try compute()
        let data = try JSONEncoder().encode(t)
        cache[key] = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        try? FileManager.default.createDirectory(at: cacheURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(JSONValue.object(cache).canonical.utf8).write(to: cacheURL, options: .atomic)
        return t
    }

    public func trainingLengths(tasks: [String], maxLength: Int) throws -> TrainingLengths {
        try cached("train|\(tokenizerKey)|\(maxLength)|\(tasks.joined(separator: ","))") {
            let dir = DataDirectory.resolve(explicit: dataDirectory)
            let exampleTokenizer = try TrainingSession.exampleTokenizer(for: tokenizer, maxLength: maxLength)
            var lengths: [Int] = []
            for id in tasks {
                let pool = try TaskPool.load(try TaskRegistry.task(id), from: dir)
                let step = max(1, pool.candidates.count / WorkloadTokens.examplesPerTask)
                for i in stride(from: 0, to: pool.candidates.count, by: step).prefix(WorkloadTokens.examplesPerTask) {
                    lengths.append(exampleTokenizer(pool.candidates[i]).inputIDs.count)
                }
            }
            return TrainingLengths(lengths: lengths)
        }
    }

    public func evaluationWork(_ b: BenchmarkSpec, limit: Int?, maxLength: Int) throws -> EvaluationWork {
        try cached("eval|\(tokenizerKey)|\(maxLength)|\(b.json.canonical)|\(limit.map(String.init) ?? "all")") {
            let def = try BenchmarkRegistry.definition(name: b.name, variant: b.variant)
            let options = EvaluationOptions(dataDirectory: try DataDirectory.resolve(explicit: dataDirectory).existing(), shots: b.shots, limit: limit)
            let prepared = try ItemPreparation.prepare(def, options: options)
            var w = EvaluationWork(items: prepared.totalItems, tokens: 0, attentionPairs: 0, logitRows: 0, generatedTokens: 0, longestRequest: 0)
            let encode = { (s: String) in self.tokenizer.encode(s, addSpecial: false, parseSpecial: false) }
            for subset in prepared.subsets {
                let items = prepared.items[subset] ?? []
                var contexts: [[Int]] = [], continuations: [[Int]] = []
                for item in items {
                    if case .generation(let prompt, _) = item.task {
                        contexts.append(encode(prompt)); continuations.append([])
                        if case .generateUntil(_, let maxNew) = def.scoring { w.generatedTokens += maxNew }
                    } else {
                        for r in item.loglikelihoodRequests { contexts.append(encode(r.context)); continuations.append(encode(r.continuation)) }
                    }
                }
                guard let first = contexts.first else { continue }
                var prefix = first.count
                for c in contexts.dropFirst() {
                    prefix = min(prefix, zip(first, c).prefix { $0 == $1 }.count)
                }
                // Requests of one item share its context: count each distinct context once.
                var seen = Set<[Int]>()
                w.tokens += prefix
                w.attentionPairs += prefix * (prefix + 1) / 2
                for (c, cont) in zip(contexts, continuations) {
                    let total = min(maxLength, c.count + cont.count)
                    w.longestRequest = max(w.longestRequest, total)
                    let own = seen.insert(c).inserted ? max(0, c.count - prefix) : 0
                    let new = own + cont.count
                    w.tokens += new
                    w.attentionPairs += new * prefix + new * (new + 1) / 2
                    w.logitRows += max(1, cont.count)
                }
            }
            return w
        }
    }
}
