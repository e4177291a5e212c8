/// Name → definition for the CLI (`--benchmark`, `--variant`) and the harness, from the active
/// `BenchmarkCatalog` (the shipped `Benchmarks/` folder unless `METALORA_BENCHMARKS` names another).
public enum BenchmarkRegistry {
    public static var names: [String] { (try? BenchmarkCatalog.active().names) ?? [] }

    /// `variant` nil gives the benchmark's default (first listed) definition.
    public static func definition(name: String, variant: String? = nil) throws -> BenchmarkDefinition {
        try BenchmarkCatalog.active().definition(name: name, variant: variant)
    }
}
