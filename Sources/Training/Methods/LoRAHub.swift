import Foundation
import Adapters

/// LoRAHub (Huang et al. 2023): one plain LoRA per upstream task, then a gradient-free search of
/// their combination weights on a few target examples. The search settings are the authors'
/// sail-sg/lorahub lorahub/algorithm.py and reproduce_bbh.py; the upstream LoRAs' training is
/// their run.sh and train_model.py (Flan-T5 LoRAs there; plain LoRAs of the base model here).
public enum LoRAHubMethod {
    static let algorithm = "sail-sg/lorahub lorahub/algorithm.py"
    static let reproduce = "sail-sg/lorahub reproduce_bbh.py"
    static let upstream = "sail-sg/lorahub run.sh"
    static let trainModel = "sail-sg/lorahub train_model.py"

    public static let hyperParameters: [HyperParameter] = [
        SharedHyperParameters.rank.with(default: .int(16), authors: SourcedValue("16", "\(upstream):1")),
        SharedHyperParameters.loraAlpha.with(default: .number(32), authors: SourcedValue("32", "\(trainModel):393")),
        SharedHyperParameters.targets.with(default: .strings(["q", "k", "v", "o"]),
                                           authors: SourcedValue("q, v (PEFT's Flan-T5 default)", "\(trainModel):389–394")),
        SharedHyperParameters.dropout.with(default: .number(0.1), authors: SourcedValue("0.1", "\(trainModel):394")),
        SharedHyperParameters.lr.with(default: .number(2e-4), authors: SourcedValue("2e-4", "\(upstream):27")),
        SharedHyperParameters.batchSize.with(default: .int(8), authors: SourcedValue("10", "\(upstream):22")),
        SharedHyperParameters.epochs.with(default: nil, authors: SourcedValue("20", "\(upstream):32")),
        SharedHyperParameters.maxSteps, SharedHyperParameters.lrScheduler, SharedHyperParameters.warmupRatio,
        SharedHyperParameters.warmupSteps,
        HyperParameter("n_loras", .int, default: nil, minimum: 1,
                       paper: SourcedValue("20", "MeTA-LoRA §4.1: 20 randomly selected LoRAs"),
                       authors: SourcedValue("20", "\(reproduce):80"),
                       help: "Upstream LoRAs, one per training task (default: all tasks up to 20, picked with the seed)."),
        HyperParameter("search_steps", .int, default: nil, minimum: 1,
                       authors: SourcedValue("40", "\(reproduce):88 (max_inference_step)"),
                       help: "Evaluations of the composition search (default 40)."),
        HyperParameter("search_loss", .string, default: .string(LoRAHubSearchLoss.perExample.rawValue),
                       choices: LoRAHubSearchLoss.allCases.map(\.rawValue),
                       authors: SourcedValue("Σ batches' mean loss / examples, batches of 5", "\(algorithm):112–135; \(reproduce):89"),
                       help: "Search objective's loss: per_example (the authors': each batch's token mean summed, over the example count) or token_mean."),
        SharedHyperParameters.maxSeqLen,
    ] + SharedHyperParameters.run.filter { $0.key != "max_seq_len" }

    /// Per-target epochs × examples on at most n_loras (20) tasks; the search's forward passes are not counted.
    static let consumption = DataConsumption(paperSource: .fullData,
                                             formula: "epochs × examples of min(tasks, n_loras) upstream tasks; steps per task ⌈examples / batch_size⌉") { input in
        let h = input.hyper
        let trained = min(input.taskCount, h.nLoras ?? LoRAHubDefaults.maxUpstreamLoRAs)
        let examples = input.examples(tasks: trained), batch = max(1, h.batchSize)
        let steps = input.perTask.map { h.epochs * trained * (($0 + batch - 1) / batch) } ?? h.epochs * ((examples + batch - 1) / batch)
        return (h.epochs * examples, steps)
    }

    public static let descriptor = MethodDescriptor(
        name: "lorahub",
        paperReference: "Huang et al. 2023 (LoraHub); MeTA-LoRA §4.1",
        summary: "upstream LoRAs per task + gradient-free composition per target",
        loop: .custom, savedKind: "lora", consumption: consumption,
        hyperParameters: hyperParameters, requiredInSpec: ["n_loras", "search_steps"],
        declarations: [
            MethodDeclaration(topic: "LoRAHub search", ours: "CMA-ES, first candidate w = 0, weights clipped to [−1.5, 1.5], 0.05·mean|w|",
                              reference: SourcedValue("nevergrad NGOpt from w = 0 in [−1.5, 1.5], 0.05·mean|w|", "\(algorithm):137–142, 274–279"),
                              reason: "nevergrad is not available to Swift; NGOpt picks CMA-ES-like optimizers for this size"),
            MethodDeclaration(topic: "LoRAHub target examples", ours: "5, from the subset's few-shot source (BBH holds 3)",
                              reference: SourcedValue("5", "\(reproduce):65"), reason: "BBH's cot-prompt files hold 3 exemplars per task"),
        ],
        hashesDefaults: true,
        hooks: {
            var hooks = MethodHooks()
            hooks.train = { decoder, tasks, hyper, options, record, plans in
                try LoRAHubTraining.train(decoder: decoder, tasks: tasks, hyper: hyper, options: options, record: record, plans: plans)
            }
            hooks.checkTaskCount = { try LoRAHubTraining.requireSeveralTasks($0) }
            hooks.resultJSON = { object, record in
                object["lorahub_weights"] = record["lorahub_weights_file"] ?? NSNull()
                for (key, recordKey) in [("upstream_samples", "lorahub_upstream_samples"), ("upstream_tokens", "lorahub_upstream_tokens"),
                                         ("search_evaluations", "lorahub_search_evaluations"), ("search_samples", "lorahub_search_samples"),
                                         ("search_tokens", "lorahub_search_tokens")] {
                    if let value = record[recordKey].flatMap(Int.init) { object[key] = value }
                }
            }
            hooks.composesPerSubset = true
            return hooks
        }())
}

extension TrainingMethod {
    /// LoRAHub (`LoRAHubMethod`).
    public static let loraHub = LoRAHubMethod.descriptor.method
}

/// The loss LoRAHub's search minimises (plus the L1 term).
public enum LoRAHubSearchLoss: String, CaseIterable, Sendable {
    /// The authors': each batch's token-mean loss, summed over batches, divided by the number of
    /// examples (algorithm.py:134–135); with their batches of 5 this is the token mean / 5.
    case perExample = "per_example"
    /// The token mean over all target answer tokens.
    case tokenMean = "token_mean"
}
