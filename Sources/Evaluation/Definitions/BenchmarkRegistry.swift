/// Name → definition for the CLI (`--benchmark`, `--variant`).
public enum BenchmarkRegistry {
    public static let names = ["mmlu", "mmlu-math", "bbh", "xcopa", "xstorycloze", "xwinograd", "exams"]

    /// `variant` applies to BBH only (default "direct"); for the others it must be nil.
    public static func definition(name: String, variant: String? = nil) throws -> BenchmarkDefinition {
        if name == "bbh" { return try BBHDefinitions.definition(variant: variant ?? "direct") }
        if let v = variant { throw EvaluationError.unknownVariant(benchmark: name, variant: v, valid: []) }
        switch name {
        case "mmlu": return MMLUDefinitions.mmlu
        case "mmlu-math": return MMLUDefinitions.mmluMath
        case "xcopa": return MultilingualDefinitions.xcopa
        case "xstorycloze": return MultilingualDefinitions.xstorycloze
        case "xwinograd": return MultilingualDefinitions.xwinograd
        case "exams": return MultilingualDefinitions.exams
        default: throw EvaluationError.unknownBenchmark(name: name, valid: names)
        }
    }
}
