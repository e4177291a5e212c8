import Foundation

/// One training task as data: where its pool lives in the mirror, how a row becomes an
/// instruction/input/target triple, and which cluster it belongs to.
public struct TaskSpec: Sendable {
    /// Registry key, lower-case (e.g. "gsm8k", "wmt16-en-de", "flores-deu_Latn").
    public let id: String
    /// The dataset's usual name (e.g. "GSM8K").
    public let name: String
    /// Flanv2 cluster of appendix A.1.1, or "five-task" / "multilingual".
    public let cluster: String
    /// Mirror files (relative to the data directory) whose rows form the pool, in pool order.
    public let sourceFiles: [String]
    /// The natural-language instruction shown with every example (FLAN-style).
    public let instruction: String
    /// How the target (response) is formed from a row.
    public let targetForm: String
    /// Pool choice, substitutions and caveats, recorded with every run that uses the task.
    public let notes: String
    let loader: @Sendable (DataDirectory, TaskSpec) throws -> [TrainingExample]

    public init(id: String, name: String, cluster: String, sourceFiles: [String], instruction: String,
                targetForm: String, notes: String = "",
                loader: @escaping @Sendable (DataDirectory, TaskSpec) throws -> [TrainingExample]) {
        self.id = id
        self.name = name
        self.cluster = cluster
        self.sourceFiles = sourceFiles
        self.instruction = instruction
        self.targetForm = targetForm
        self.notes = notes
        self.loader = loader
    }

    /// Every example of the task's pool, in file order (budgets and held-out sets are drawn
    /// from this list by `TaskPool`).
    public func loadPool(from directory: DataDirectory) throws -> [TrainingExample] {
        try loader(directory, self)
    }

    /// True when every source file is present in `directory`.
    public func isAvailable(in directory: DataDirectory) -> Bool {
        sourceFiles.allSatisfy(directory.exists)
    }

    /// An example of this task with its stable id "<task>:<file>:<row>".
    public func example(file: String, row: Int, input: String, output: String, instruction: String? = nil) -> TrainingExample {
        TrainingExample(id: "\(id):\(file):\(row)", instruction: instruction ?? self.instruction,
                        input: input, output: output, task: id, cluster: cluster)
    }

    /// A multiple-choice example: the target is the text of `choices[answer]`.
    public func example(file: String, row: Int, input: String, choices: [String], answer: Int) -> TrainingExample {
        TrainingExample(id: "\(id):\(file):\(row)", instruction: instruction, input: input, output: choices[answer],
                        task: id, cluster: cluster, choices: choices, answerIndex: answer)
    }

    /// A multiple-choice example whose input is `context` followed by the options list; `label`
    /// is the answer's number counted from `base`, and a bad one is reported at `labelFile`:`line`.
    /// `context` is read only once the label has been accepted.
    func example(file: String, row: Int, options: [String], label: String, base: Int, labelFile: String, line: Int,
                 context: @autoclosure () throws -> String) throws -> TrainingExample {
        let answer = try PromptText.labelIndex(label, base: base, count: options.count, file: labelFile, line: line)
        return example(file: file, row: row, input: "\(try context())\n\(PromptText.options(options))", choices: options, answer: answer)
    }
}

/// Shared text shapes of FLAN-style inputs.
enum PromptText {
    /// Multiple-choice options as FLAN writes them ("OPTIONS:" list); targets are the option text.
    static func options(_ options: [String]) -> String {
        "Options:\n" + options.map { "- \($0)" }.joined(separator: "\n")
    }

    static func clean(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The label-list files (`*-labels.lst`) that accompany the AI2 releases.
    static func labels(_ dir: DataDirectory, _ file: String) throws -> [String] {
        try RowReader.lines(dir, file).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A JSONL file's rows paired with the separate label file's lines (SiQA, PiQA releases),
    /// refusing files whose counts disagree, naming the label file and the first unmatched line.
    static func rowsWithLabels(_ dir: DataDirectory, rows file: String, labels labelFile: String) throws -> [(JSONRow, String)] {
        let rows = try RowReader.jsonl(dir, file)
        let labels = try self.labels(dir, labelFile)
        guard labels.count == rows.count else {
            throw DataError.malformedRow(file: labelFile, line: min(labels.count, rows.count) + 1,
                                         reason: "\(labels.count) labels for \(rows.count) rows")
        }
        return Array(zip(rows, labels))
    }

    static func labelIndex(_ raw: String, base: Int, count: Int, file: String, line: Int) throws -> Int {
        guard let v = Int(raw), v - base >= 0, v - base < count else {
            throw DataError.malformedRow(file: file, line: line, reason: "label '\(raw)' is not in \(base)...\(base + count - 1)")
        }
        return v - base
    }
}

extension TaskSpec {
    /// The same task filed under another cluster (PiQA, QQP and CosmosQA are both five-task
    /// tasks and Flanv2 datasets); ids stay the same so budgets are comparable across settings.
    public func inCluster(_ cluster: String) -> TaskSpec {
        TaskSpec(id: id, name: name, cluster: cluster, sourceFiles: sourceFiles, instruction: instruction,
                 targetForm: targetForm, notes: notes, loader: loader)
    }
}
