import Foundation

/// One instruction-formatted training example, drawn from a task's pool.
///
/// `id` is stable across runs and machines ("<task>:<file>:<row>", row counted from 1 over the
/// file's data rows, headers excluded) so budgets, support/query draws and data-selection picks
/// can be recorded by id and replayed.
public struct TrainingExample: Hashable, Codable, Sendable {
    public var id: String
    public var instruction: String
    /// Task input (may be empty: the Alpaca template then uses its "no input" form).
    public var input: String
    /// The target the loss is computed on (the response).
    public var output: String
    public var task: String
    /// Flanv2 task cluster (appendix A.1.1) or the five-task / multilingual grouping.
    public var cluster: String
    /// For multiple-choice tasks, the option texts as the input lists them; `output` is
    /// `choices[answerIndex]`. Held-out items are scored on them (`five-task-heldout`); nil for
    /// free-form targets (GSM8K, translation, generation tasks).
    public var choices: [String]?
    public var answerIndex: Int?

    public init(id: String, instruction: String, input: String, output: String, task: String, cluster: String,
                choices: [String]? = nil, answerIndex: Int? = nil) {
        self.id = id
        self.instruction = instruction
        self.input = input
        self.output = output
        self.task = task
        self.cluster = cluster
        self.choices = choices
        self.answerIndex = answerIndex
    }
}
