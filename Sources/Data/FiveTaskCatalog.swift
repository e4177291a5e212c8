import Foundation

/// The tasks of the five-task setting (section 4.1.1: GSM8K, QQP, CosmosQA, SiQA, PiQA) and
/// of its variant with WinoGrande in place of PiQA.
///
/// Multiple-choice targets are the text of the correct option, never a letter: the instruction
/// lists the options and asks for the answer, so the response is a natural sentence the model
/// can be scored on directly, as FLAN's "OPTIONS:" templates do.
public enum FiveTaskCatalog {
    public static let cluster = "five-task"

    public static let gsm8k = TaskSpec(
        id: "gsm8k", name: "GSM8K", cluster: cluster, sourceFiles: ["gsm8k/train.jsonl"],
        instruction: "Solve the following grade-school math word problem. Reason step by step, then give the final answer on its own line after \"####\".",
        targetForm: "the full reference answer: the reasoning lines (with their <<…>> calculator annotations) and the final \"#### n\" line",
        notes: "pool = the 7,473-row train split; test.jsonl is never used for training"
    ) { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.jsonl(dir, file).map { row in
            let answer = try row.string("answer")
            guard answer.contains("####") else { throw row.fail("answer has no '#### <number>' line") }
            return spec.example(file: file, row: row.row, input: PromptText.clean(try row.string("question")), output: PromptText.clean(answer))
        }
    }

    public static let qqp = TaskSpec(
        id: "qqp", name: "QQP", cluster: cluster, sourceFiles: ["qqp/train.json", "qqp/dev.json"],
        instruction: "Here are two questions from Quora. Do they ask the same thing? Answer \"yes\" or \"no\".",
        targetForm: "\"yes\" when the gold label is 1 (duplicate), \"no\" when it is 0",
        notes: "raw QQP pairs with gold labels (8,999 train + 1,000 dev); the full GLUE QQP train set is not in the mirror"
    ) { dir, spec in
        var out: [TrainingExample] = []
        for file in spec.sourceFiles {
            for row in try RowReader.numberedObjects(dir, file) {
                let label = try row.string("label")
                guard label == "0" || label == "1" else { throw row.fail("label '\(label)' is not 0 or 1") }
                let input = "Question 1: \(PromptText.clean(try row.string("text_a")))\nQuestion 2: \(PromptText.clean(try row.string("text_b")))"
                out.append(spec.example(file: file, row: row.row, input: input, choices: ["yes", "no"], answer: label == "1" ? 0 : 1))
            }
        }
        return out
    }

    public static let cosmosQA = TaskSpec(
        id: "cosmosqa", name: "CosmosQA", cluster: cluster, sourceFiles: ["cosmosqa/valid.csv"],
        instruction: "Read the passage and answer the question by choosing the correct option. Reply with the text of the option.",
        targetForm: "the text of the correct option answer<label> (label 0–3)",
        notes: "the official train split is absent from the mirror: the 2,985-row validation split is the pool"
    ) { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.table(dir, file, separator: ",").map { row in
            try spec.example(file: file, row: row.row, options: try (0..<4).map { try row.field("answer\($0)") },
                             label: try row.field("label"), base: 0, labelFile: file, line: row.line,
                             context: "Passage: \(PromptText.clean(try row.field("context")))\nQuestion: \(PromptText.clean(try row.field("question")))")
        }
    }

    public static let socialIQA = TaskSpec(
        id: "siqa", name: "SiQA", cluster: cluster, sourceFiles: ["siqa/train.jsonl", "siqa/train-labels.lst"],
        instruction: "Read the situation and answer the question about people's motivations, reactions or next actions by choosing the correct option. Reply with the text of the option.",
        targetForm: "the text of answerA/B/C named by the label file (1–3)",
        notes: "pool = the 33,410-row train split with train-labels.lst"
    ) { dir, spec in
        let file = spec.sourceFiles[0]
        return try PromptText.rowsWithLabels(dir, rows: file, labels: spec.sourceFiles[1]).map { row, raw in
            try spec.example(file: file, row: row.row, options: try ["answerA", "answerB", "answerC"].map { try row.string($0) },
                             label: raw, base: 1, labelFile: spec.sourceFiles[1], line: row.row,
                             context: "Situation: \(PromptText.clean(try row.string("context")))\nQuestion: \(PromptText.clean(try row.string("question")))")
        }
    }

    public static let physicalIQA = TaskSpec(
        id: "piqa", name: "PiQA", cluster: cluster, sourceFiles: ["piqa/valid.jsonl", "piqa/valid-labels.lst"],
        instruction: "Choose the solution that best achieves the goal, using physical common sense. Reply with the text of the solution.",
        targetForm: "the text of sol1/sol2 named by the label file (0/1)",
        notes: "train.jsonl is absent from the mirror: the 1,838-row validation split is the pool"
    ) { dir, spec in
        let file = spec.sourceFiles[0]
        return try PromptText.rowsWithLabels(dir, rows: file, labels: spec.sourceFiles[1]).map { row, raw in
            try spec.example(file: file, row: row.row, options: try ["sol1", "sol2"].map { PromptText.clean(try row.string($0)) },
                             label: raw, base: 0, labelFile: spec.sourceFiles[1], line: row.row,
                             context: "Goal: \(PromptText.clean(try row.string("goal")))")
        }
    }

    public static let winoGrande = TaskSpec(
        id: "winogrande", name: "WinoGrande", cluster: cluster, sourceFiles: ["winogrande/train_m.jsonl"],
        instruction: "Fill in the blank (_) in the sentence with the correct option. Reply with the text of the option.",
        targetForm: "the text of option1/option2 named by the row's answer field (\"1\"/\"2\")",
        notes: "pool = WinoGrande 1.1 train_m (2,558 rows); train_l/train_xl are not in the mirror"
    ) { dir, spec in
        let file = spec.sourceFiles[0]
        return try RowReader.jsonl(dir, file).map { row in
            try spec.example(file: file, row: row.row, options: try ["option1", "option2"].map { try row.string($0) },
                             label: try row.string("answer"), base: 1, labelFile: file, line: row.line,
                             context: "Sentence: \(PromptText.clean(try row.string("sentence")))")
        }
    }

    public static let all: [TaskSpec] = [gsm8k, qqp, cosmosQA, socialIQA, physicalIQA, winoGrande]
}
