import Foundation
import Data

/// A training method of the comparison: a handle on its descriptor (`MethodDescriptor`), stored
/// and compared by name. Every method is one file under `Methods/` plus one line in
/// `MethodCatalog.standard`.
public struct TrainingMethod: Hashable, Codable, Sendable, CustomStringConvertible {
    public let descriptor: MethodDescriptor

    public init(_ descriptor: MethodDescriptor) { self.descriptor = descriptor }

    public var rawValue: String { descriptor.name }
    public var description: String { descriptor.name }

    /// Parses a CLI or spec name in `catalog`; unknown names list the valid ones.
    public static func named(_ name: String, in catalog: MethodCatalog = .standard) throws -> TrainingMethod {
        guard let d = catalog.descriptor(name.lowercased()) else {
            throw TrainingError.unknownMethod(name, valid: catalog.names)
        }
        return d.method
    }

    public static var allCases: [TrainingMethod] { MethodCatalog.standard.descriptors.map(\.method) }

    /// Methods that run Algorithm 1's episodic loop (support/query sets per sampled task).
    public var isEpisodic: Bool { descriptor.loop.isEpisodic }
    /// Methods trained like plain LoRA on shuffled mixed-task batches.
    public var isMixedBatch: Bool { descriptor.loop == .mixedBatch }

    public static func == (a: TrainingMethod, b: TrainingMethod) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// Encoded as its name; decoding looks the name up in the standard catalog.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let d = MethodCatalog.standard.descriptor(name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown training method '\(name)'"))
        }
        self.init(d)
    }
}

/// Everything that stops a training run, raised as early as possible (bad input before any
/// compute) and with enough context to act on.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case unknownMethod(String, valid: [String])
    case invalidHyperParameter(String)
    case nonFinite(step: Int, tensor: String, value: Float)
    case nonFiniteLoss(step: Int, phase: String, loss: Double)
    case checkpointMismatch(String)
    case checkpointUnreadable(String)
    /// Writing a checkpoint failed (disk full, a file-size limit); the previous one is kept.
    case checkpointUnwritable(folder: String, reason: String)
    case stoppedEarly(step: Int)
    /// Every answer token of a run's examples (or of one task's, or of its held-out set) is cut
    /// by the maximum length: training would log loss 0 and the held-out loss would be NaN.
    case answersCut(String)
    /// A step's batch holds no answer token (every example in it was cut to its prompt).
    case noAnswerTokens(step: Int, phase: String)
    /// The held-out loss is not a finite number.
    case nonFiniteEvalLoss(when: String, loss: Double)

    public var description: String {
        switch self {
        case let .unknownMethod(name, valid):
            return "unknown training method '\(name)'; valid methods: \(valid.joined(separator: ", "))"
        case let .invalidHyperParameter(message):
            return "invalid hyper-parameter: \(message)"
        case let .nonFinite(step, tensor, value):
            return "training stopped at step \(step): non-finite value \(value) in \(tensor)"
        case let .nonFiniteLoss(step, phase, loss):
            return "training stopped at step \(step): non-finite \(phase) loss \(loss)"
        case let .checkpointMismatch(message):
            return "checkpoint does not match this run: \(message) (start again with --no-resume, or remove the checkpoint folder)"
        case let .checkpointUnreadable(message):
            return "checkpoint unreadable: \(message) (start again with --no-resume, or remove the checkpoint folder)"
        case let .checkpointUnwritable(folder, reason):
            return "cannot write a checkpoint in \(folder): \(reason); the previous checkpoint, if any, is kept and no temporary file is left"
        case let .stoppedEarly(step):
            return "training stopped on request after step \(step) (resume from the checkpoint)"
        case let .answersCut(message):
            return message
        case let .noAnswerTokens(step, phase):
            return "training stopped at step \(step): every answer in the \(phase) batch was cut by the maximum length, "
                + "so it has no tokens to learn from; raise \(TruncationReport.settingName)"
        case let .nonFiniteEvalLoss(when, loss):
            return "the \(when) held-out loss is \(loss): the adapter or the model produces non-finite values"
        }
    }
}

extension TrainingError: LocalizedError {
    public var errorDescription: String? { description }
}
