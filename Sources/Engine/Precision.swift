import Foundation

/// The arithmetic of the frozen weights' matrix products (the linear projections and the LM head).
///
/// - `f32`: float32 through OpenBLAS sgemm, the default and the exact reference.
/// - `bf16`: the frozen weights are packed once as bf16 and each product's activation input is
///   rounded to bf16 (round to nearest even), with float32 accumulation and a float32 result
///   (oneDNN's bf16 matmul, `BF16PackedMatrix`). Attention's products (the forward's scores and
///   weighted values, the backward's five) run in bf16 too when a call has at least 16 query rows
///   (`AttentionBF16`); a decoding step's few rows stay float32. Everything else stays float32:
///   RMSNorm, RoPE, the softmax and its log-sum-exp, the residual stream, the loss, adapter
///   parameters, their gradients and the optimizer state.
public enum Precision: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case f32, bf16

    public var description: String { rawValue }

    /// Parses "f32"/"float32" and "bf16"/"bfloat16"; the error names the accepted values.
    public init(parsing text: String) throws {
        switch text.lowercased() {
        case "f32", "float32", "fp32": self = .f32
        case "bf16", "bfloat16": self = .bf16
        default: throw PrecisionError.unknown(text)
        }
    }

    /// Why this CPU cannot run the precision natively, naming the missing feature; nil when it can.
    /// bf16 without `avx512_bf16` or AMX would run through oneDNN's emulation at a fraction of
    /// float32's speed, so it is refused rather than run slowly or replaced by float32.
    public func unavailableReason(on cpu: CPUFeatures = .current) -> String? {
        switch self {
        case .f32: return nil
        case .bf16:
            if cpu.runsBF16 { return nil }
            return "--precision bf16 needs a CPU with avx512_bf16 or amx_bf16; this CPU (\(cpu.modelName)) has neither in /proc/cpuinfo. Use --precision f32."
        }
    }

    /// Throws `PrecisionError.unsupported` when this CPU cannot run the precision.
    public func requireAvailable(on cpu: CPUFeatures = .current) throws {
        if let reason = unavailableReason(on: cpu) { throw PrecisionError.unsupported(reason) }
    }
}

public enum PrecisionError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unsupported(String)
    case library(String)

    public var description: String {
        switch self {
        case .unknown(let text): return "unknown precision '\(text)': expected f32 or bf16"
        case .unsupported(let reason): return reason
        case .library(let reason): return "oneDNN: \(reason)"
        }
    }
}
