// Per-item correctness of one stored run on one benchmark, read back from the store's samples:
// the data every standard error and every paired comparison is recomputed from.
import Foundation

public struct BenchmarkItems: Sendable {
    public var benchmark: String
    public var weighting: SubsetWeighting
    /// Subsets in first-seen order, each with its items' ids (prompt id, else sample index) and correctness.
    public var subsets: [(name: String, items: [(id: String, correct: Bool)])]

    public var tallies: [SubsetTally] {
        subsets.map { s in SubsetTally(correct: s.items.filter(\.correct).count, n: s.items.count) }
    }

    /// The headline accuracy with its stratified standard error.
    public var estimate: Estimate? { Statistics.estimate(tallies, weighting: weighting) }

    /// Every item's key ("subset/id"), for checking that two runs scored the same items.
    public var itemKeys: [String] { subsets.flatMap { s in s.items.map { "\(s.name)/\($0.id)" } } }

    /// Reads one run's samples of `benchmark`; nil when the run kept none (older stores).
    public static func load(store: ResultsStore, runID: Int64, benchmark: String, settings: JSONValue) throws -> BenchmarkItems? {
        let samples = try store.samples(runID: runID).filter { $0.benchmark == benchmark }
        guard !samples.isEmpty else { return nil }
        var order: [String] = [], bySubset: [String: [(id: String, correct: Bool)]] = [:]
        for s in samples {
            if bySubset[s.subset] == nil { order.append(s.subset); bySubset[s.subset] = [] }
            bySubset[s.subset]!.append((id: s.detail["prompt_id"]?.stringValue ?? String(s.index), correct: s.correct))
        }
        return BenchmarkItems(benchmark: benchmark, weighting: SubsetWeighting(settings: settings),
                              subsets: order.map { (name: $0, items: bySubset[$0]!) })
    }
}
