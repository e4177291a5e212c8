/// One scored item after prompt construction: everything the evaluator sends to the backend and
/// needs to score the answer.
public struct PreparedItem: Sendable, Equatable {
    /// "{subset}/{row}" with the row's 1-based line (or 0-based example index for BBH) in its file.
    public var promptId: String
    public var subset: String
    public var task: ItemTask
    /// lm-eval's `doc_id`: the 0-based position of the item's row among its subset's rows.
    public var docId: Int
    /// lm-eval's `doc`: the source row as a JSON object (hashed into `doc_hash`).
    public var doc: PythonJSON

    public init(promptId: String, subset: String, task: ItemTask, docId: Int, doc: PythonJSON) {
        self.promptId = promptId; self.subset = subset; self.task = task; self.docId = docId; self.doc = doc
    }

    /// The backend requests of a log-likelihood item, in choice order.
    public var loglikelihoodRequests: [LoglikelihoodRequest] {
        switch task {
        case .multipleChoice(let context, let continuations, _, _):
            return continuations.map { LoglikelihoodRequest(context: context, continuation: $0) }
        case .partialScoring(let contexts, let continuation, _):
            return contexts.map { LoglikelihoodRequest(context: $0, continuation: continuation) }
        case .generation:
            return []
        }
    }
}

public enum ItemTask: Sendable, Equatable {
    /// One context; each choice's continuation is `targetDelimiter + choice`. `choiceTexts` are the
    /// undelimited choices (lm-eval `doc_to_choice`), whose code-point lengths normalize acc_norm.
    case multipleChoice(context: String, continuations: [String], choiceTexts: [String], gold: Int)
    /// One context per option and a shared continuation (lm-eval "multiple input"); acc_norm
    /// normalizes by each context's length, as lm-eval's generic code would.
    case partialScoring(contexts: [String], continuation: String, gold: Int)
    /// Greedy generation, compared with `target` by the definition's answer extraction.
    case generation(prompt: String, target: String)
}
