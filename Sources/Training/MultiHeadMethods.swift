import Engine
import Models
import Adapters

extension MethodRegistry {
    /// Connects the multi-head baselines of module Adapters to the mixed-batch trainer:
    /// HydraLoRA (`lora_nums` = number of tasks), R-LoRA (random heads, head dropout) and
    /// LoRA-MoE (task-conditioned gate, so each sequence carries its task index).
    /// Idempotent; the CLI and the harness executor call it at start-up.
    public static func registerMultiHeadAdapters(loraMoEExperts: Int = 4, rLoRAHeadDropout: Float = 0.05) {
        register(.hydraLoRA, factory: AdapterFactory { model, hyper, tasks, rng in
            HydraLoRAAdapter(model: model, tasks: tasks, rank: hyper.rank, alpha: hyper.loraAlpha,
                             targets: hyper.targets, seed: rng.next())
        })
        register(.rLoRA, factory: AdapterFactory { model, hyper, tasks, rng in
            HydraLoRAAdapter.rLoRA(model: model, tasks: tasks, rank: hyper.rank, alpha: hyper.loraAlpha,
                                   targets: hyper.targets, headDropout: rLoRAHeadDropout, seed: rng.next())
        })
        register(.loraMoE, factory: AdapterFactory(sequenceGroupsAreTasks: true) { model, hyper, tasks, rng in
            guard hyper.rank % loraMoEExperts == 0 else {
                throw TrainingError.invalidHyperParameter("LoRA-MoE splits rank \(hyper.rank) across \(loraMoEExperts) experts: it must divide evenly")
            }
            return LoRAMoEAdapter(model: model, tasks: tasks, rank: hyper.rank, alpha: hyper.loraAlpha,
                                  experts: loraMoEExperts, targets: hyper.targets, seed: rng.next())
        })
    }
}
