import Foundation

/// One LoRAHub composition as written to disk: `lorahub_weights.json` of a standalone run, and the
/// per-subset cache of a harness cell (a resumed cell reuses a record whose inputs match instead
/// of searching again).
public struct CompositionRecord: Codable, Equatable, Sendable {
    public var formatVersion = 1
    /// What the weights were searched for: "mixture" (standalone run) or "<benchmark>/<subset>".
    public var target: String
    /// Upstream LoRAs in weight order (their task ids).
    public var upstreamTasks: [String]
    public var weights: [Float]
    /// The same weights keyed by upstream task, for reading.
    public var weightsByTask: [String: Float]
    /// objective(w) = target loss + l1 · mean|w| at the best weights.
    public var objective: Double
    /// Mean answer-token loss of the target examples at the best weights, and at w = 0 (base model).
    public var targetLoss: Double
    public var baseLoss: Double
    public var searchSteps: Int
    public var l1: Double
    public var bounds: [Float]
    public var seed: UInt64
    /// Ids of the target examples (budget example ids, or benchmark prompt ids such as "navigate/0").
    public var targetExamples: [String]
    /// Forward-only work of the search: evaluations, sequences, real tokens.
    public var evaluations: Int
    public var samples: Int
    public var tokens: Int
    /// Objective value of every evaluation, in order.
    public var history: [Double]

    public init(target: String, upstreamTasks: [String], outcome: CompositionSearch.Outcome, searchSteps: Int,
                seed: UInt64, targetExamples: [String]) {
        self.target = target
        self.upstreamTasks = upstreamTasks
        weights = outcome.weights
        weightsByTask = Dictionary(uniqueKeysWithValues: zip(upstreamTasks, outcome.weights))
        objective = outcome.objective
        targetLoss = outcome.targetLoss
        baseLoss = outcome.baseLoss
        self.searchSteps = searchSteps
        l1 = LoRAHubDefaults.l1
        bounds = [LoRAHubDefaults.bounds.lowerBound, LoRAHubDefaults.bounds.upperBound]
        self.seed = seed
        self.targetExamples = targetExamples
        evaluations = outcome.evaluations
        samples = outcome.samples
        tokens = outcome.tokens
        history = outcome.history.map(\.value)
    }

    /// True when this record answers the same search: same upstream LoRAs, budget, seed and targets.
    public func matches(upstreamTasks: [String], searchSteps: Int, seed: UInt64, targetExamples: [String]) -> Bool {
        self.upstreamTasks == upstreamTasks && self.searchSteps == searchSteps && self.seed == seed
            && self.targetExamples == targetExamples && l1 == LoRAHubDefaults.l1
            && bounds == [LoRAHubDefaults.bounds.lowerBound, LoRAHubDefaults.bounds.upperBound]
    }

    /// Written whole to a temporary file, then renamed over `url`.
    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try TrainingCheckpoint.encoder().encode(self).write(to: url, options: .atomic)
    }

    /// The record at `url`, or nil when there is none or it cannot be read (then the search runs again).
    public static func read(_ url: URL) -> CompositionRecord? {
        guard let data = try? Foundation.Data(contentsOf: url) else { return nil }
        return try? TrainingCheckpoint.decoder().decode(CompositionRecord.self, from: data)
    }
}
