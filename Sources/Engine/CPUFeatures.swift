import Foundation

/// What this CPU offers, detected at run time (never assumed at build time): OpenBLAS picks its own
/// kernels by CPUID; we record the features so benchmark figures say what they ran on.
public struct CPUFeatures: Sendable, Codable {
    public let modelName: String
    public let flags: Set<String>
    public let logicalCores: Int

    public var hasAVX2: Bool { flags.contains("avx2") }
    public var hasFMA: Bool { flags.contains("fma") }
    public var hasAVX512F: Bool { flags.contains("avx512f") }
    /// bf16 dot products with float32 accumulation (`vdpbf16ps`): what oneDNN's bf16 matmul needs
    /// to run at twice the float32 rate (`brg:avx512_core_bf16`).
    public var hasAVX512BF16: Bool { flags.contains("avx512_bf16") }
    /// Intel AMX tiles with bf16 (Sapphire Rapids and later): oneDNN's `brg:avx512_core_amx`.
    public var hasAMXBF16: Bool { flags.contains("amx_bf16") && flags.contains("amx_tile") }
    /// The CPU runs bf16 products natively (either instruction set above).
    public var runsBF16: Bool { hasAVX512BF16 || hasAMXBF16 }
    /// The bf16 and int8 extensions present, for `inspect` and `bench` (empty when none).
    public var matrixExtensions: [String] {
        ["avx512_bf16", "avx512_vnni", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "avx512_fp16"].filter(flags.contains)
    }
    /// Every instruction set the `haswell` code-generation target may use (AVX2, FMA, BMI1/2,
    /// F16C, MOVBE, LZCNT, POPCNT): the condition for running the AVX2 build of the row kernels.
    public var runsHaswellCode: Bool {
        ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "popcnt"].allSatisfy(flags.contains)
    }

    /// The AVX-512 subsets the `skylake-avx512` code-generation target may use (F, CD, BW, DQ, VL)
    /// besides all of `haswell`'s: the condition for running the AVX-512 build of the row kernels.
    /// /proc/cpuinfo lists them only when the kernel has enabled the 512-bit register state.
    public var runsSkylakeAVX512Code: Bool {
        runsHaswellCode && ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }

    public init(modelName: String, flags: Set<String>, logicalCores: Int) {
        self.modelName = modelName; self.flags = flags; self.logicalCores = logicalCores
    }

    public static let current: CPUFeatures = {
        var model = "unknown"
        var flags = Set<String>()
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in info.split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let key = parts[0].trimmingCharacters(in: .whitespaces)
                if key == "model name", model == "unknown" {
                    model = parts[1].trimmingCharacters(in: .whitespaces)
                } else if key == "flags", flags.isEmpty {
                    flags = Set(parts[1].split(separator: " ").map(String.init))
                }
            }
        }
        return CPUFeatures(modelName: model, flags: flags, logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// What `inspect` and `bench` print: the model name, vector width, bf16/int8 extensions, the
    /// row kernels' build and whether `--precision bf16` runs here (or why not).
    public var report: [String: Any] {
        ["model": modelName, "cores": logicalCores, "isa": vectorISA, "matrix_extensions": matrixExtensions,
         "row_kernels": RowKernelDispatch.current.name,
         "bf16": Precision.bf16.unavailableReason(on: self) ?? "yes (oneDNN \(BF16PackedMatrix.libraryVersion))"]
    }

    /// The widest vector extension available, for reports.
    public var vectorISA: String {
        if hasAVX512F { return "avx512" }
        if hasAVX2 && hasFMA { return "avx2+fma" }
        return "sse"
    }
}
