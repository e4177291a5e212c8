/// Every way a checkpoint file can be wrong, each naming the file and what is wrong with it.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case corrupt(file: String, reason: String)
    case unsupportedTensorType(file: String, tensor: String, type: String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, reason: String)
    case missingMetadata(file: String, key: String)
    case unsupported(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .corrupt(file, reason): return "\(file): corrupt or truncated: \(reason)"
        case let .unsupportedTensorType(file, tensor, type): return "\(file): tensor '\(tensor)' has unsupported type \(type)"
        case let .missingTensor(file, tensor): return "\(file): missing tensor '\(tensor)'"
        case let .shapeMismatch(file, tensor, reason): return "\(file): tensor '\(tensor)' has the wrong shape: \(reason)"
        case let .missingMetadata(file, key): return "\(file): missing metadata key '\(key)'"
        case let .unsupported(file, reason): return "\(file): unsupported: \(reason)"
        }
    }
}
