import Foundation
import VectorKernels
import VectorKernelsAVX2

/// The build of the row kernels (softmax passes, SwiGLU gate) this process uses, chosen once from
/// the features the CPU reports: AVX2+FMA CPUs run `VectorKernelsAVX2`, others the baseline
/// x86-64 build. Both round identically (see RowKernels.swift), so the choice changes speed only.
/// `METALORA_VECTOR_KERNELS=baseline` forces the baseline build (for comparisons).
public struct RowKernelDispatch: Sendable {
    public let name: String
    public let exp: @Sendable (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    public let expNegated: @Sendable (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    public let max: @Sendable (UnsafePointer<Float>, Int) -> Float
    public let expShifted: @Sendable (UnsafeMutablePointer<Float>, Int, Float) -> Void
    public let expShiftedSum: @Sendable (UnsafeMutablePointer<Float>, Int, Float) -> Double
    public let scale: @Sendable (UnsafeMutablePointer<Float>, Int, Float) -> Void
    public let swiGLU: @Sendable (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void
    public let roundToBF16: @Sendable (UnsafeMutablePointer<UInt16>, UnsafePointer<Float>, Int) -> Void

    public static let baseline = RowKernelDispatch(
        name: "baseline", exp: VectorKernels.RowKernels.exp, expNegated: VectorKernels.RowKernels.expNegated,
        max: VectorKernels.RowKernels.max, expShifted: { VectorKernels.RowKernels.expShifted($0, $1, shift: $2) },
        expShiftedSum: { VectorKernels.RowKernels.expShiftedSum($0, $1, shift: $2) }, scale: VectorKernels.RowKernels.scale,
        swiGLU: { VectorKernels.RowKernels.swiGLU(out: $0, gate: $1, up: $2, $3, scratch: $4) },
        roundToBF16: VectorKernels.RowKernels.roundToBF16)

    /// Only valid on CPUs with every feature of the `haswell` target (`CPUFeatures.runsHaswellCode`).
    public static let avx2 = RowKernelDispatch(
        name: "avx2", exp: VectorKernelsAVX2.RowKernels.exp, expNegated: VectorKernelsAVX2.RowKernels.expNegated,
        max: VectorKernelsAVX2.RowKernels.max, expShifted: { VectorKernelsAVX2.RowKernels.expShifted($0, $1, shift: $2) },
        expShiftedSum: { VectorKernelsAVX2.RowKernels.expShiftedSum($0, $1, shift: $2) }, scale: VectorKernelsAVX2.RowKernels.scale,
        swiGLU: { VectorKernelsAVX2.RowKernels.swiGLU(out: $0, gate: $1, up: $2, $3, scratch: $4) },
        roundToBF16: VectorKernelsAVX2.RowKernels.roundToBF16)

    /// The build used by the engine's kernels.
    public static let current: RowKernelDispatch = {
        if ProcessInfo.processInfo.environment["METALORA_VECTOR_KERNELS"] == "baseline" { return .baseline }
        return CPUFeatures.current.runsHaswellCode ? .avx2 : .baseline
    }()
}
