import Models

/// LoRA hyper-parameters: `h = W x + (alpha/r) · B (A x)` on the chosen projections of every layer.
public struct LoRAConfig: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var targets: [Projection]
    /// Dropout on the LoRA input (PEFT's `lora_dropout`), training only.
    public var dropout: Float

    public init(rank: Int = 16, alpha: Float = 32, targets: [Projection] = [.q, .k, .v, .o], dropout: Float = 0) {
        self.rank = rank; self.alpha = alpha; self.targets = targets.sorted(); self.dropout = dropout
    }

    public var scale: Float { alpha / Float(rank) }
}

/// Errors of adapters that do not fit the model or use options we do not implement.
public enum AdapterError: Error, CustomStringConvertible {
    case shapeMismatch(file: String, tensor: String, expected: [Int], got: [Int])
    case unsupportedOption(file: String, option: String, value: String)
    case missingTensor(file: String, tensor: String)
    case invalid(file: String, reason: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(file, tensor, expected, got):
            return "\(file): adapter tensor '\(tensor)' is \(got) but the model needs \(expected)"
        case let .unsupportedOption(file, option, value):
            return "\(file): unsupported adapter option \(option) = \(value)"
        case let .missingTensor(file, tensor):
            return "\(file): adapter tensor '\(tensor)' is missing"
        case let .invalid(file, reason):
            return "\(file): \(reason)"
        }
    }
}
