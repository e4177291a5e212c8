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
    /// Every instruction set the `haswell` code-generation target may use (AVX2, FMA, BMI1/2,
    /// F16C, MOVBE, LZCNT, POPCNT): the condition for running the AVX2 build of the row kernels.
    public var runsHaswellCode: Bool {
        ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "popcnt"].allSatisfy(flags.contains)
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

    /// The widest vector extension available, for reports.
    public var vectorISA: String {
        if hasAVX512F { return "avx512" }
        if hasAVX2 && hasFMA { return "avx2+fma" }
        return "sse"
    }
}
