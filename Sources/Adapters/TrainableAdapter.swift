import Foundation
import Engine
import Models

/// An adapter a trainer can optimise and save: LoRA, HydraLoRA, R-LoRA, LoRA-MoE.
///
/// `namedParameters` lists (name, value, gradient) triples in a fixed order; names follow PEFT's
/// scheme so saved files are recognisable (`model.layers.N.self_attn.q_proj.lora_A.weight`, …).
/// Gradients accumulate across backward passes until `zeroGradients()`.
public protocol TrainableAdapter: ProjectionAdapter {
    /// "lora", "hydralora", "rlora", "loramoe".
    var kind: String { get }
    var namedParameters: [(name: String, value: Tensor, grad: Tensor)] { get }
    func zeroGradients()
    /// Writes the adapter folder (safetensors + JSON config) atomically.
    func save(to folder: URL) throws
}

extension TrainableAdapter {
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.value.count } }
}

extension LoRAAdapter: TrainableAdapter {
    public var kind: String { "lora" }
    /// The first copy's parameters (the shared θ when the adapter holds a single copy).
    public var namedParameters: [(name: String, value: Tensor, grad: Tensor)] { copies[0].namedParameters }
    public func zeroGradients() { for c in copies { c.zeroGradients() } }
    public func save(to folder: URL) throws { try PEFTFormat.save(copies[0], to: folder) }
}

/// Adapters with dropout draw their masks from a seed the trainer sets every step, so masks
/// change from step to step yet a resumed run reproduces them exactly.
public protocol DropoutSeeded: AnyObject {
    var dropoutSeed: UInt64 { get set }
}

extension LoRAAdapter: DropoutSeeded {}
extension HydraLoRAAdapter: DropoutSeeded {}
