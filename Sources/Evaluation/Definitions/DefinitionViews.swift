import Foundation

/// Named views of the shipped definitions (`Benchmarks/*.yaml`), for code and tests that speak of
/// one benchmark's subsets or settings. They read the files; nothing here defines a benchmark.
/// The shipped files are part of the build and checked by the test suite, so a failure to read
/// them is a broken installation, reported with the file and reason.
enum ShippedDefinitions {
    static func definition(_ name: String, _ variant: String? = nil) -> BenchmarkDefinition {
        do { return try BenchmarkCatalog.builtIn().definition(name: name, variant: variant) } catch {
            fatalError("shipped benchmark definition \(name)\(variant.map { " (\($0))" } ?? "") cannot be read: \(error)")
        }
    }
}

public enum BBHDefinitions {
    public static var tasks: [String] { direct.subsets.map(\.name) }
    public static var variants: [String] { (try? BenchmarkCatalog.builtIn().variants(of: "bbh")) ?? [] }
    /// lm-eval `bbh_fewshot` / `bbh_cot_fewshot` `generation_kwargs.until` (template version 2.0).
    public static var lmEvalStopSequences: [String] {
        if case .generateUntil(let stops, _) = direct.scoring { return stops }
        return []
    }
    public static func definition(variant: String) throws -> BenchmarkDefinition {
        try BenchmarkCatalog.builtIn().definition(name: "bbh", variant: variant)
    }
    public static var direct: BenchmarkDefinition { ShippedDefinitions.definition("bbh", "direct") }
    public static var cot: BenchmarkDefinition { ShippedDefinitions.definition("bbh", "cot") }
    public static var instructEval: BenchmarkDefinition { ShippedDefinitions.definition("bbh", "instruct-eval") }
}

public enum MMLUDefinitions {
    public static var subjects: [String] { mmlu.subsets.map(\.name) }
    /// Hendrycks' "math" subcategory (categories.py), the paper's MMLU-math.
    public static var mathSubjects: [String] { mmluMath.subsets.map(\.name) }
    public static var mmlu: BenchmarkDefinition { ShippedDefinitions.definition("mmlu") }
    public static var mmluMath: BenchmarkDefinition { ShippedDefinitions.definition("mmlu-math") }
}

public enum MultilingualDefinitions {
    /// lm-eval `tasks/xcopa/utils.py` connectors (cause, effect) per language, from xcopa.yaml.
    public static var xcopaConnectors: [String: (cause: String, effect: String)] {
        var out: [String: (cause: String, effect: String)] = [:]
        for s in xcopa.subsets { if let c = s.parameters["cause"], let e = s.parameters["effect"] { out[s.name] = (c, e) } }
        return out
    }
    public static var xcopaLanguages: [String] { xcopa.subsets.map(\.name) }
    public static var xwinogradLanguages: [String] { xwinograd.subsets.map(\.name) }
    public static var xcopa: BenchmarkDefinition { ShippedDefinitions.definition("xcopa") }
    public static var xwinograd: BenchmarkDefinition { ShippedDefinitions.definition("xwinograd") }
}
