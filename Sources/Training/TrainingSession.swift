import Foundation
import Engine
import Models
import Adapters
import Data

/// One training run as the CLI and the harness ask for it: a method, a setting, a model, a data
/// mirror and hyper-parameters. `run()` validates everything before any compute, loads the data
/// plan and the model, tokenizes with the model's prompt format, and trains.
public struct TrainingRequest {
    public var method: TrainingMethod
    public var setting: String
    /// Restrict the setting to these task ids (nil = all).
    public var tasks: [String]?
    public var modelPath: String
    public var dataDirectory: DataDirectory
    public var hyper: TrainingHyperParameters
    public var options: TrainingOptions
    /// nil = budgets drawn at random with the run seed (or the full pools).
    public var selection: TrainingDataSelection?
    /// Size of each task's fixed held-out draw, kept out of every budget and full-data pool
    /// (a study profile enlarges it so held-out accuracy has a usable n).
    public var heldOutPerTask: Int = TaskPool.defaultHeldOutCount

    public init(method: TrainingMethod, setting: String, tasks: [String]? = nil, modelPath: String,
                dataDirectory: DataDirectory, hyper: TrainingHyperParameters, options: TrainingOptions,
                selection: TrainingDataSelection? = nil) {
        self.method = method; self.setting = setting; self.tasks = tasks; self.modelPath = modelPath
        self.dataDirectory = dataDirectory; self.hyper = hyper; self.options = options; self.selection = selection
    }
}

public enum TrainingSession {
    /// Checks that need neither data nor model: method wired, hyper-parameter ranges, setting
    /// and task names, n against the number of tasks, n_s + n_q against the budget, and that a
    /// data selection has a per-task count and target texts.
    public static func validate(_ request: TrainingRequest) throws {
        try request.options.precision.requireAvailable()
        try request.hyper.validate(for: request.method)
        if let selection = request.selection {
            guard request.hyper.budgetPerTask != nil else {
                throw TrainingError.invalidHyperParameter(
                    "\(selection.method.rawValue) selection picks a number of examples per task: give a budget, not the full pools")
            }
            guard !selection.target.texts.isEmpty else {
                throw TrainingError.invalidHyperParameter("\(selection.method.rawValue) selection has no target texts to rank examples against")
            }
        }
        let setting = try TaskRegistry.setting(request.setting)
        let taskCount = try request.tasks.map { try $0.map(setting.task).count } ?? setting.tasks.count
        try request.method.descriptor.hooks.checkTaskCount?(taskCount)
        if request.method.isEpisodic {
            try DataValidation.checkEpisode(taskCount: taskCount, tasksPerIteration: request.hyper.tasksPerIteration,
                                            supportSize: request.hyper.supportSize, querySize: request.hyper.querySize,
                                            smallestBudget: request.hyper.budgetPerTask ?? Int.max)
        }
    }

    /// The data plan (pools loaded, budgets drawn or selected and checked against each pool).
    public static func plan(_ request: TrainingRequest) throws -> DataPlan {
        let h = request.hyper
        let episode = request.method.isEpisodic ? (h.tasksPerIteration, h.supportSize, h.querySize) : nil
        if let selection = request.selection, let count = h.budgetPerTask {
            return try DataPlan.buildSelected(setting: request.setting, tasks: request.tasks, directory: request.dataDirectory,
                                              method: selection.method, target: selection.target, count: count, seed: h.seed,
                                              episode: episode, heldOutCount: request.heldOutPerTask)
        }
        // A task whose pool is smaller than the budget (Flanv2's CB: 90 candidates under the budget
        // of 100) trains on its whole pool, as the paper must have; the plan records it
        // (`short_budgets`) and the cell's protocol block declares it.
        return try DataPlan.build(setting: request.setting, tasks: request.tasks, directory: request.dataDirectory,
                                  budgetPerTask: h.budgetPerTask, seed: h.seed, episode: episode,
                                  heldOutCount: request.heldOutPerTask, shortPools: .useWholePool)
    }

    /// Validate, load data, load the model, train.
    public static func run(_ request: TrainingRequest) throws -> TrainingResult {
        try validate(request)
        let plan = try plan(request)
        let model = try LanguageModel(path: request.modelPath, weights: request.options.weights)
        try model.decoder.setPrecision(request.options.precision)
        let tokenizer = try exampleTokenizer(for: model, maxLength: request.hyper.maxSeqLen)
        let tasks = TrainingTasks(plan: plan, tokenizer: tokenizer, evalExamplesPerTask: request.hyper.evalExamplesPerTask)
        var options = request.options
        options.baseModelName = options.baseModelName.isEmpty ? model.url.standardizedFileURL.path : options.baseModelName
        options.record.merge(plan.record(promptFormat: tokenizer.format)) { a, _ in a }
        options.record["model"] = model.url.path
        if options.modelSHA256 == nil { options.modelSHA256 = model.fileHash }
        return try Trainer.train(method: request.method, decoder: model.decoder, tasks: tasks, hyper: request.hyper, options: options)
    }

    /// The model's own chat template when its tokenizer has one we recognise (ChatML: the reply
    /// ends with `<|im_end|>`), else Alpaca-style prompts ending with EOS, so the model learns to stop.
    public static func exampleTokenizer(for model: LanguageModel, maxLength: Int) throws -> ExampleTokenizer {
        try exampleTokenizer(for: try model.requireTokenizer(), maxLength: maxLength)
    }

    /// The same prompt format from a tokenizer alone (plan counts tokens without loading weights).
    public static func exampleTokenizer(for tokenizer: Tokenizer, maxLength: Int) throws -> ExampleTokenizer {
        let encode: (String) -> [Int] = { tokenizer.encode($0, addSpecial: false, parseSpecial: true) }
        let bos = tokenizer.addsBOS ? tokenizer.bosId : nil
        switch tokenizer.chatFormat {
        case .chatML(let system)?:
            let end = tokenizer.tokenId("<|im_end|>") ?? tokenizer.eosId
            guard let end else { throw TrainingError.invalidHyperParameter("the tokenizer has neither <|im_end|> nor an EOS token") }
            return try ExampleTokenizer(format: .chat(.chatML(systemPrompt: system)), maxLength: maxLength, eosID: end,
                                        bosID: bos, tokenize: encode)
        case .llama2?:
            guard let eos = tokenizer.eosId else { throw TrainingError.invalidHyperParameter("the tokenizer has no EOS token") }
            return try ExampleTokenizer(format: .chat(.llama2()), maxLength: maxLength, eosID: eos, bosID: tokenizer.bosId,
                                        tokenize: encode)
        case nil:
            guard let eos = tokenizer.eosId else { throw TrainingError.invalidHyperParameter("the tokenizer has no EOS token") }
            return try ExampleTokenizer(format: .alpaca, maxLength: maxLength, eosID: eos, bosID: bos, tokenize: encode)
        }
    }
}
