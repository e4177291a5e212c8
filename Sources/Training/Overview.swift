// Module Training — the trainers (MeTA-LoRA, -STA, LoRA, LoRAHub; the multi-head baselines plug in).
//
//   TrainingMethod            meta-lora | sta | lora | hydralora | rlora | loramoe | lorahub | base
//   TrainingHyperParameters   every knob with the paper's defaults (§4.1.3, appendix A.1.2), validated
//   TrainingTasks             tokenized budgets (by example id) and capped held-out sets
//   BatchAssembly             right-padded TokenBatches (widths bucketed), per-task token counts;
//                             ActivationPlans reuses DecoderActivations per shape
//   MetaLoRAStep              one iteration of Algorithm 1 (Eq. 3–6), sequential or batched loop
//   EpisodicLoop              MeTA-LoRA / -STA over EpisodeSampler's episodes
//   MixedBatchLoop            LoRA (and any TrainableAdapter) on shuffled mixed-task batches
//   Methods/                  one descriptor per method (keys, defaults with sources, loop, adapter); MethodCatalog lists them;
//                             HyperArguments reads keys off a command line (--key v, --key=v, key=v, legacy flags) and writes --help
//   Trainer                   the shared driver: eval before/after, counters, progress, loss curve,
//                             checkpoints + resume, PEFT adapter, result.json
//   TrainingCheckpoint        atomic checkpoint files (θ, AdamW moments, RNG, config)
//   HeldOutLoss               initial/final eval loss (per-task token mean, mean over tasks)
//   LoRAHub/                  LoRAHub (Huang et al. 2023): LoRAHubDefaults (20 modules, 5 targets, 40
//                             evaluations, [−1.5, 1.5], L1 0.05), UpstreamLoRAs (stage 1, resumable),
//                             CompositionSearch (stage 2, CMA-ES on the target loss), CompositionRecord
//                             (lorahub_weights.json / per-subset cache), LoRAHubTraining (the standalone
//                             method: target = the training mixture), TrainingSession.loraHubUpstream
//   TrainingSession           request → validate → DataPlan → model + prompt format → Trainer
//   TrainingDataSelection     a request's BM25/DSIR selection (method + target); budgets picked, not drawn
//   TrainingResult            the run's outcome; `toJSONLine()` for `metalora train --json`
//   MetaLoRABenchmark         `meta_lora_iteration_s` for both loops
