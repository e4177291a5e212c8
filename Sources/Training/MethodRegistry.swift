import Foundation
import Engine
import Models
import Adapters

/// Which loop trains each method. MeTA-LoRA, -STA and LoRA are built in; HydraLoRA, R-LoRA and
/// LoRA-MoE train like LoRA on mixed batches with their own adapter, which the application
/// registers here (`register(_:factory:)`) once module Adapters provides it. LoRAHub (upstream
/// LoRAs + gradient-free composition) has its own driver (`LoRAHubTraining`).
public enum MethodRegistry {
    /// Builds a mixed-batch method's adapter for a model, the run's hyper-parameters and its
    /// number of tasks (HydraLoRA's `lora_nums`, LoRA-MoE's task embedding table), initialised
    /// from `rng`.
    public struct AdapterFactory {
        public var make: (_ model: LlamaConfig, _ hyper: TrainingHyperParameters, _ taskCount: Int,
                          _ rng: inout SplitMix64) throws -> any TrainableAdapter
        /// True when sequences must carry their task index as sequence group (LoRA-MoE).
        public var sequenceGroupsAreTasks: Bool
        public init(sequenceGroupsAreTasks: Bool = false,
                    make: @escaping (LlamaConfig, TrainingHyperParameters, Int, inout SplitMix64) throws -> any TrainableAdapter) {
            self.make = make; self.sequenceGroupsAreTasks = sequenceGroupsAreTasks
        }
    }

    static let lock = NSLock()
    nonisolated(unsafe) static var factories: [TrainingMethod: AdapterFactory] = [.lora: loraFactory]

    /// Plain LoRA: PEFT initialisation (A Kaiming-uniform, B = 0).
    public static let loraFactory = AdapterFactory { model, hyper, _, rng in
        let parameters = LoRAParameters(config: hyper.loraConfig, model: model)
        parameters.initialiseLikePEFT(rng: &rng)
        return LoRAAdapter(parameters)
    }

    /// Registers (or replaces) the adapter of a mixed-batch method.
    public static func register(_ method: TrainingMethod, factory: AdapterFactory) {
        precondition(method.isMixedBatch, "only mixed-batch methods take an adapter factory")
        lock.lock(); defer { lock.unlock() }
        factories[method] = factory
    }

    /// The factory of a mixed-batch method, or `methodNotWired`.
    public static func adapterFactory(for method: TrainingMethod) throws -> AdapterFactory {
        lock.lock(); defer { lock.unlock() }
        guard let f = factories[method] else { throw TrainingError.methodNotWired(method) }
        return f
    }

    /// Fails (before any compute) when the method cannot be trained by this build.
    public static func checkWired(_ method: TrainingMethod) throws {
        switch method {
        case .metaLoRA, .sta, .base, .loraHub: return
        case .lora, .hydraLoRA, .rLoRA, .loraMoE: _ = try adapterFactory(for: method)
        }
    }
}
