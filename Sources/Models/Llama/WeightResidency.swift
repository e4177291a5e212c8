import Foundation

/// How the frozen base weights are held in memory (`--weights`).
///
/// - `resident`: as stored in the checkpoint (GGUF blocks, safetensors F16/BF16/F32), mapped from
///   the file; every matrix product first dequantizes the matrix it needs into a reused float32
///   scratch and then runs the same product on it, so results are bit-identical to `f32`.
/// - `f32`: dequantized once at load into float32 copies (4 bytes per weight).
/// - `auto`: `resident` when the float32 copies would take more than a quarter of physical
///   memory (LLaMA-2-7B: 27 GB), `f32` otherwise — small models decode token by token faster
///   from float32 copies, since a one-row product costs about as much as dequantizing its matrix.
public enum WeightResidency: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case auto, resident, f32

    public var description: String { rawValue }

    public static let help = "frozen weights in memory: resident (kept in the checkpoint's format, dequantized per product), "
        + "f32 (dequantized once at load) or auto (resident when the float32 copy would exceed a quarter of RAM)"

    /// `resident` or `f32` for a model of `parameters` matrix weights (auto decided here).
    public func resolved(parameters: Int, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> WeightResidency {
        guard self == .auto else { return self }
        return UInt64(4 * parameters) > physicalMemory / 4 ? .resident : .f32
    }
}
