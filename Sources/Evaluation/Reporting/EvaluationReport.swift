import Foundation

/// Scores of one subject/task/language.
public struct SubsetScore: Sendable, Codable, Equatable {
    public var n: Int
    public var correct: Int
    /// Fraction correct (exact match for generation benchmarks).
    public var acc: Double
    public var accNorm: Double?

    enum CodingKeys: String, CodingKey { case n, correct, acc, accNorm = "acc_norm" }
}

/// Every setting that can change a score, as resolved for this run.
public struct ResolvedSettings: Sendable, Codable, Equatable {
    public var split: String
    public var shots: Int
    public var fewShotSource: String
    public var fewShotSelection: String
    public var template: String
    public var targetDelimiter: String
    public var fewshotDelimiter: String
    public var scoring: String
    public var answerExtraction: String
    public var metrics: [String]
    public var aggregation: String
    public var aggregationRationale: String
    /// First N items per subset in file order, or nil for all.
    public var limit: Int?
    public var subsets: [String]
    public var dataDirectory: String

    enum CodingKeys: String, CodingKey {
        case split, shots, template, scoring, metrics, aggregation, limit, subsets
        case fewShotSource = "few_shot_source", fewShotSelection = "few_shot_selection"
        case targetDelimiter = "target_delimiter", fewshotDelimiter = "fewshot_delimiter"
        case answerExtraction = "answer_extraction", aggregationRationale = "aggregation_rationale"
        case dataDirectory = "data_directory"
    }
}

/// The result of one `Evaluator.run`: headline numbers, per-subset numbers, settings and the
/// per-sample records. `acc` is the definition's primary aggregation (see `settings.aggregation`);
/// `acc_micro` (mean over items) and `acc_macro` (mean over subsets) are both always present.
public struct EvaluationReport: Sendable, Codable, Equatable {
    public var benchmark: String
    public var variant: String?
    public var version: String
    public var backend: String
    /// "acc" or "exact_match": what `acc` measures.
    public var metric: String
    public var n: Int
    public var acc: Double
    public var accMicro: Double
    public var accMacro: Double
    public var accNorm: Double?
    public var accNormMicro: Double?
    public var accNormMacro: Double?
    public var subsets: [String: SubsetScore]
    /// Subset names in report order (JSON objects are unordered).
    public var subsetOrder: [String]
    public var settings: ResolvedSettings
    public var partial: Bool
    public var partialReasons: [String]
    public var skippedRows: [SkippedRow]
    public var notes: [String]
    public var elapsedSeconds: Double
    /// Per-sample records; not part of the JSON summary (written as JSONL separately).
    public var samples: [SampleRecord]

    enum CodingKeys: String, CodingKey {
        case benchmark, variant, version, backend, metric, n, acc, subsets, settings, partial, notes
        case accMicro = "acc_micro", accMacro = "acc_macro", accNorm = "acc_norm"
        case accNormMicro = "acc_norm_micro", accNormMacro = "acc_norm_macro"
        case subsetOrder = "subset_order", partialReasons = "partial_reasons", skippedRows = "skipped_rows"
        case elapsedSeconds = "elapsed_seconds"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        benchmark = try c.decode(String.self, forKey: .benchmark)
        variant = try c.decodeIfPresent(String.self, forKey: .variant)
        version = try c.decode(String.self, forKey: .version)
        backend = try c.decode(String.self, forKey: .backend)
        metric = try c.decode(String.self, forKey: .metric)
        n = try c.decode(Int.self, forKey: .n)
        acc = try c.decode(Double.self, forKey: .acc)
        accMicro = try c.decode(Double.self, forKey: .accMicro)
        accMacro = try c.decode(Double.self, forKey: .accMacro)
        accNorm = try c.decodeIfPresent(Double.self, forKey: .accNorm)
        accNormMicro = try c.decodeIfPresent(Double.self, forKey: .accNormMicro)
        accNormMacro = try c.decodeIfPresent(Double.self, forKey: .accNormMacro)
        subsets = try c.decode([String: SubsetScore].self, forKey: .subsets)
        subsetOrder = try c.decode([String].self, forKey: .subsetOrder)
        settings = try c.decode(ResolvedSettings.self, forKey: .settings)
        partial = try c.decode(Bool.self, forKey: .partial)
        partialReasons = try c.decode([String].self, forKey: .partialReasons)
        skippedRows = try c.decode([SkippedRow].self, forKey: .skippedRows)
        notes = try c.decode([String].self, forKey: .notes)
        elapsedSeconds = try c.decode(Double.self, forKey: .elapsedSeconds)
        samples = []
    }

    public init(benchmark: String, variant: String?, version: String, backend: String, metric: String,
                n: Int, acc: Double, accMicro: Double, accMacro: Double,
                accNorm: Double?, accNormMicro: Double?, accNormMacro: Double?,
                subsets: [String: SubsetScore], subsetOrder: [String], settings: ResolvedSettings,
                partial: Bool, partialReasons: [String], skippedRows: [SkippedRow], notes: [String],
                elapsedSeconds: Double, samples: [SampleRecord]) {
        self.benchmark = benchmark; self.variant = variant; self.version = version; self.backend = backend
        self.metric = metric; self.n = n; self.acc = acc; self.accMicro = accMicro; self.accMacro = accMacro
        self.accNorm = accNorm; self.accNormMicro = accNormMicro; self.accNormMacro = accNormMacro
        self.subsets = subsets; self.subsetOrder = subsetOrder; self.settings = settings
        self.partial = partial; self.partialReasons = partialReasons; self.skippedRows = skippedRows
        self.notes = notes; self.elapsedSeconds = elapsedSeconds; self.samples = samples
    }

    /// The `--json` object: pretty, keys sorted.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
