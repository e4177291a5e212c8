import Foundation
import Models

extension TrainingSession {
    /// Stage 1 of LoRAHub alone, for callers that compose per target themselves (the harness
    /// composes one adapter per evaluated BBH task / MMLU subject): validate, load the data plan,
    /// tokenize with the model's prompt format, then train or reload the upstream LoRAs under
    /// `<output>/upstream/`. Uses the caller's already loaded `model`.
    public static func loraHubUpstream(_ request: TrainingRequest, model: LanguageModel) throws -> [UpstreamLoRA] {
        guard request.method.descriptor.hooks.composesPerSubset else {
            throw TrainingError.invalidHyperParameter("upstream LoRAs belong to lorahub, not \(request.method.rawValue)")
        }
        try validate(request)
        let plan = try plan(request)
        let h = request.hyper
        let tokenizer = try exampleTokenizer(for: model, maxLength: h.maxSeqLen)
        let tasks = TrainingTasks(plan: plan, tokenizer: tokenizer, evalExamplesPerTask: 0)
        let options = request.options
        let baseModel = options.baseModelName.isEmpty ? model.url.standardizedFileURL.path : options.baseModelName
        return try UpstreamLoRAs.prepare(taskIDs: LoRAHubDefaults.upstreamTasks(tasks.taskIDs, limit: h.nLoras, seed: h.seed),
                                         decoder: model.decoder, tasks: tasks, hyper: h,
                                         folder: options.outputDirectory.appendingPathComponent(UpstreamLoRAs.folderName),
                                         baseModel: baseModel, resume: options.resume, progress: options.progress,
                                         stopAfterStep: options.stopAfterStep)
    }
}
