import Foundation
import Models
import Evaluation
import Training
import struct Data.DataDirectory
import struct Data.TaskPool
import enum Data.FiveTaskCatalog

/// The items of a `trainingHeldOut` benchmark (five-task-heldout): each training task's fixed
/// held-out draw, the same examples `TaskPool` keeps out of every budget and full-data pool of
/// the cell, rendered in the prompt format the model was trained with and scored on the task's
/// options. Built here because only the harness knows both the training data and the model.
enum HeldOutItems {
    static func build(_ definition: BenchmarkDefinition, cell: ResolvedCell, model: LanguageModel,
                      dataDirectory: DataDirectory) throws -> [String: [PreparedItem]] {
        let data = dataDirectory
        let format = try TrainingSession.exampleTokenizer(for: model, maxLength: cell.resolved.maxSeqLen).format
        let count = cell.heldOutPerTask ?? TaskPool.defaultHeldOutCount
        var out: [String: [PreparedItem]] = [:]
        for subset in definition.subsets {
            guard let task = FiveTaskCatalog.all.first(where: { $0.id == subset.name }) else {
                throw EvaluationError.invalidOption("\(definition.label): '\(subset.name)' is not a five-task training task; valid: "
                                                    + FiveTaskCatalog.all.map(\.id).joined(separator: ", "))
            }
            let pool = try TaskPool.load(task, from: data, heldOutCount: count)
            out[subset.name] = try pool.heldOut.enumerated().map { position, example in
                guard let choices = example.choices, let gold = example.answerIndex else {
                    throw EvaluationError.invalidOption("\(definition.label): \(example.id) has no options to score (free-form target)")
                }
                let prompt = format.render(example).prompt
                return PreparedItem(promptId: "\(subset.name)/\(example.id)", subset: subset.name,
                                    task: .multipleChoice(context: prompt, continuations: choices.map { definition.targetDelimiter + $0 },
                                                          choiceTexts: choices, gold: gold),
                                    docId: position,
                                    doc: .object([("id", .string(example.id)), ("prompt", .string(prompt)),
                                                  ("choices", .array(choices.map { .string($0) })), ("answer", .int(gold))]))
            }
        }
        return out
    }
}
