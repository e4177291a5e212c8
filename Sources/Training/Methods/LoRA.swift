import Foundation
import Adapters

/// Plain LoRA on shuffled mixed-task batches (Hu et al. 2022; MeTA-LoRA appendix A.1.2).
public enum LoRAMethod {
    /// PEFT initialisation: A Kaiming-uniform, B = 0.
    public static let adapter = MethodAdapter { model, hyper, _, rng in
        let parameters = LoRAParameters(config: hyper.loraConfig, model: model)
        parameters.initialiseLikePEFT(rng: &rng)
        return LoRAAdapter(parameters)
    }

    public static let descriptor = MethodDescriptor(
        name: "lora",
        paperReference: "Hu et al. 2022; MeTA-LoRA appendix A.1.2",
        summary: "one LoRA adapter on shuffled mixed-task batches",
        loop: .mixedBatch, adapter: adapter, savedKind: "lora", consumption: .epochs(),
        hyperParameters: SharedHyperParameters.adapter + SharedHyperParameters.mixedBatch + SharedHyperParameters.run,
        requiredInSpec: ["lr", "batch_size", "epochs", "rank", "targets"],
        hashesDefaults: false)
}

extension TrainingMethod {
    public static let lora = LoRAMethod.descriptor.method
}
