// The narrow seam between the harness and the trainer/evaluator: the runner hands one resolved
// cell to an executor and stores what comes back. The CLI supplies the real executor.
import Foundation

public struct MetricRecord: Equatable, Sendable {
    public var benchmark: String
    /// Registry.overallSubset ("all") for the headline aggregate; otherwise a subject, task or language.
    public var subset: String
    /// Registry.headlineMetric ("accuracy", a fraction in [0, 1]) is what the tables read.
    public var metric: String
    public var value: Double
    public var n: Int
    /// Evaluation settings (shots, variant, limit, prompt format) as JSON.
    public var settings: JSONValue
    public init(benchmark: String, subset: String = Registry.overallSubset, metric: String = Registry.headlineMetric,
                value: Double, n: Int, settings: JSONValue = .object([:])) {
        self.benchmark = benchmark; self.subset = subset; self.metric = metric; self.value = value; self.n = n; self.settings = settings
    }
}

/// One evaluated example as the results store keeps it (the `samples` table): the reduced form of
/// the evaluator's `SampleRecord`, with the rest of that record in `detail`.
public struct StoredSample: Equatable, Sendable {
    public var benchmark: String
    public var subset: String
    public var index: Int
    public var prediction: String
    public var target: String
    public var correct: Bool
    /// Anything else (prompt hash, option log-likelihoods) as JSON.
    public var detail: JSONValue
    public init(benchmark: String, subset: String, index: Int, prediction: String, target: String, correct: Bool, detail: JSONValue = .null) {
        self.benchmark = benchmark; self.subset = subset; self.index = index; self.prediction = prediction
        self.target = target; self.correct = correct; self.detail = detail
    }
}

public struct LossPoint: Equatable, Sendable {
    public var step: Int
    public var loss: Double
    /// "train", "support", "query" or "eval".
    public var split: String
    public init(step: Int, loss: Double, split: String) { self.step = step; self.loss = loss; self.split = split }
}

public struct CellOutcome: Sendable {
    public var metrics: [MetricRecord]
    public var samples: [StoredSample]
    public var lossCurve: [LossPoint]
    /// Table 7's counters.
    public var optimizerSteps: Int
    public var samplesProcessed: Int
    public var tokensProcessed: Int
    /// Training + evaluation wall time as measured by the executor (the runner also records its own).
    public var wallSeconds: Double
    /// Where the trained adapter was written (nil for the base model).
    public var adapterPath: String?
    /// Extra artifacts: kind → path (e.g. "checkpoint", "log").
    public var artifacts: [(kind: String, path: String)]
    /// What the trainer recorded about its data (setting, budget ids per task, selection method and
    /// target, prompt format, truncation) as a JSON object; nil when nothing was trained.
    public var trainingRecord: JSONValue?
    public init(metrics: [MetricRecord], samples: [StoredSample] = [], lossCurve: [LossPoint] = [],
                optimizerSteps: Int = 0, samplesProcessed: Int = 0, tokensProcessed: Int = 0, wallSeconds: Double = 0,
                adapterPath: String? = nil, artifacts: [(kind: String, path: String)] = [], trainingRecord: JSONValue? = nil) {
        self.metrics = metrics; self.samples = samples; self.lossCurve = lossCurve; self.optimizerSteps = optimizerSteps
        self.samplesProcessed = samplesProcessed; self.tokensProcessed = tokensProcessed; self.wallSeconds = wallSeconds
        self.adapterPath = adapterPath; self.artifacts = artifacts; self.trainingRecord = trainingRecord
    }
}

/// What an executor may report while it works (shown as the runner's progress line).
public struct CellProgress: Sendable {
    public var phase: String      // "train" or "eval"
    public var done: Int
    public var total: Int
    public init(phase: String, done: Int, total: Int) { self.phase = phase; self.done = done; self.total = total }
}

/// Executes one resolved cell: train the method on the setting's data (cell.hyper, cell.examplesPerTask,
/// cell.selection, cell.seed), then evaluate on cell.benchmarks (limit cell.evalLimit).
///
/// `checkpointDir` is stable for a config hash: an executor that finds a checkpoint there resumes
/// from it (an interrupted cell continues), and writes its adapter and checkpoints there.
/// Throwing marks the run failed with the error's description.
public protocol CellExecutor {
    func execute(_ cell: ResolvedCell, checkpointDir: URL, threads: Int,
                 progress: @escaping (CellProgress) -> Void) throws -> CellOutcome
}
