import Foundation
import VectorKernels
import VectorKernelsAVX2
import VectorKernelsAVX512

/// The build of the row kernels (softmax passes, SwiGLU gate) this process uses, chosen once from
/// the features the CPU reports: AVX-512 CPUs run `VectorKernelsAVX512`, AVX2+FMA CPUs
/// `VectorKernelsAVX2`, others the baseline x86-64 build. All round identically (see
/// RowKernels.swift), so the choice changes speed only. `METALORA_VECTOR_KERNELS=baseline` or
/// `=avx2` forces a narrower build (for comparisons).
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

    public static let baseline = RowKernelDispatch(name: "baseline", VectorKernels.RowKernels.self)

    /// Only valid on CPUs with every feature of the `haswell` target (`CPUFeatures.runsHaswellCode`).
    public static let avx2 = RowKernelDispatch(name: "avx2", VectorKernelsAVX2.RowKernels.self)

    /// Only valid on CPUs with every feature of the `skylake-avx512` target (`CPUFeatures.runsSkylakeAVX512Code`).
    public static let avx512 = RowKernelDispatch(name: "avx512", VectorKernelsAVX512.RowKernels.self)

    /// The builds this CPU can run, narrowest first.
    public static var runnable: [RowKernelDispatch] {
        let cpu = CPUFeatures.current
        return [.baseline] + (cpu.runsHaswellCode ? [.avx2] : []) + (cpu.runsSkylakeAVX512Code ? [.avx512] : [])
    }

    init<Build: RowKernelBuild>(name: String, _: Build.Type) {
        self.name = name
        exp = { Build.exp($0, $1, $2) }
        expNegated = { Build.expNegated($0, $1, $2) }
        max = { Build.max($0, $1) }
        expShifted = { Build.expShifted($0, $1, shift: $2) }
        expShiftedSum = { Build.expShiftedSum($0, $1, shift: $2) }
        scale = { Build.scale($0, $1, $2) }
        swiGLU = { Build.swiGLU(out: $0, gate: $1, up: $2, $3, scratch: $4) }
        roundToBF16 = { Build.roundToBF16($0, $1, $2) }
    }

    /// The build used by the engine's kernels.
    public static let current: RowKernelDispatch = {
        let runnable = Self.runnable
        guard let forced = ProcessInfo.processInfo.environment["METALORA_VECTOR_KERNELS"] else { return runnable.last! }
        if let build = runnable.first(where: { $0.name == forced }) { return build }
        // A comparison knob, not a correctness one (every build gives the same bits): say so and go on.
        FileHandle.standardError.write(Data(("note: METALORA_VECTOR_KERNELS=\(forced) is not a build this CPU runs ("
            + runnable.map(\.name).joined(separator: ", ") + "); using \(runnable.last!.name)\n").utf8))
        return runnable.last!
    }()
}

/// The entry points of `RowKernels`, which every build of the one source provides.
protocol RowKernelBuild {
    static func exp(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int)
    static func expNegated(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int)
    static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float
    static func expShifted(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float)
    static func expShiftedSum(_ p: UnsafeMutablePointer<Float>, _ n: Int, shift: Float) -> Double
    static func scale(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ s: Float)
    static func swiGLU(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>,
                       _ n: Int, scratch: UnsafeMutablePointer<Float>)
    static func roundToBF16(_ out: UnsafeMutablePointer<UInt16>, _ x: UnsafePointer<Float>, _ n: Int)
}

extension VectorKernels.RowKernels: RowKernelBuild {}
extension VectorKernelsAVX2.RowKernels: RowKernelBuild {}
extension VectorKernelsAVX512.RowKernels: RowKernelBuild {}
