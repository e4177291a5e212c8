import Foundation

/// The untuned base model (Table 1 "Base", Table 4 "LLaMA"): evaluated without fine-tuning.
public enum BaseMethod {
    public static let descriptor = MethodDescriptor(
        name: "base", paperReference: "MeTA-LoRA Table 1 (Base), Table 4 (LLaMA)", summary: "the base model, not fine-tuned",
        loop: .none, savedKind: nil, consumption: .none, hyperParameters: SharedHyperParameters.run, hashesDefaults: false)
}

extension TrainingMethod {
    public static let base = BaseMethod.descriptor.method
}
