import struct Data.DataDirectory
/// What a run may override; everything else comes from the `BenchmarkDefinition`.
public struct EvaluationOptions {
    public var dataDirectory: DataDirectory
    /// MMLU subjects, BBH tasks or languages to run (in the definition's order); nil = all.
    public var subsets: [String]?
    /// Few-shot count; nil = the definition's default.
    public var shots: Int?
    /// First N items of each subset in file order (lm-eval `--limit`); nil = all.
    public var limit: Int?
    /// Items per backend call; each call carries all requests of its items so the backend can share
    /// prefixes (a call holds a whole subset up to this size: its few-shot prefix is computed once
    /// and its KV cache allocated once). A subset never shares a call with another.
    public var itemsPerBatch: Int
    public var progress: EvaluationProgress?
    /// Called with each subset's name before its items are scored: a caller that adapts the model
    /// per subset (LoRAHub composes one adapter per BBH task / MMLU subject) switches it here.
    public var beforeSubset: ((String) throws -> Void)?
    /// Items of `trainingHeldOut` definitions by subset, built by the caller (the harness knows the
    /// training tasks' held-out draws and the model's prompt format); `limit` still applies.
    public var suppliedItems: [String: [PreparedItem]]?

    public init(dataDirectory: DataDirectory, subsets: [String]? = nil, shots: Int? = nil, limit: Int? = nil,
                itemsPerBatch: Int = 1024, progress: EvaluationProgress? = nil) {
        self.dataDirectory = dataDirectory; self.subsets = subsets; self.shots = shots; self.limit = limit
        self.itemsPerBatch = itemsPerBatch; self.progress = progress
    }
}
