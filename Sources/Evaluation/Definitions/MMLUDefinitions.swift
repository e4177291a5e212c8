/// MMLU (Hendrycks et al.) as lm-evaluation-harness 0.4 `mmlu` (default, 5-shot) runs it.
public enum MMLUDefinitions {
    /// The 57 subjects, in the order of the mirror's (alphabetical) file listing.
    public static let subjects: [String] = [
        "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge",
        "college_biology", "college_chemistry", "college_computer_science", "college_mathematics",
        "college_medicine", "college_physics", "computer_security", "conceptual_physics", "econometrics",
        "electrical_engineering", "elementary_mathematics", "formal_logic", "global_facts",
        "high_school_biology", "high_school_chemistry", "high_school_computer_science",
        "high_school_european_history", "high_school_geography", "high_school_government_and_politics",
        "high_school_macroeconomics", "high_school_mathematics", "high_school_microeconomics",
        "high_school_physics", "high_school_psychology", "high_school_statistics", "high_school_us_history",
        "high_school_world_history", "human_aging", "human_sexuality", "international_law", "jurisprudence",
        "logical_fallacies", "machine_learning", "management", "marketing", "medical_genetics",
        "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition", "philosophy", "prehistory",
        "professional_accounting", "professional_law", "professional_medicine", "professional_psychology",
        "public_relations", "security_studies", "sociology", "us_foreign_policy", "virology", "world_religions",
    ]

    /// Hendrycks' "math" subcategory (categories.py), the paper's MMLU-math.
    public static let mathSubjects: [String] = [
        "abstract_algebra", "college_mathematics", "elementary_mathematics",
        "high_school_mathematics", "high_school_statistics",
    ]

    public static var mmlu: BenchmarkDefinition { make(name: "mmlu", subjects: subjects, summary: "MMLU, 57 subjects, test split, 5-shot from dev") }

    public static var mmluMath: BenchmarkDefinition {
        make(name: "mmlu-math", subjects: mathSubjects,
             summary: "MMLU math subcategory (\(mathSubjects.joined(separator: ", "))), test split, 5-shot from dev")
    }

    static func make(name: String, subjects: [String], summary: String) -> BenchmarkDefinition {
        BenchmarkDefinition(
            name: name, variant: nil, version: "1", summary: summary,
            format: .mmluCSV, split: "test",
            subsets: subjects.map {
                SubsetSource(name: $0, path: "mmlu/test/\($0)_test.csv", fewShotPath: "mmlu/dev/\($0)_dev.csv")
            },
            fewShot: FewShotSpec(source: .fewShotSplitFirstN, defaultCount: 5,
                                 selection: "first k rows of the subject's dev split in file order (lm-eval fewshot_config sampler first_n)"),
            template: .mmlu, targetDelimiter: " ", fewshotDelimiter: "\n\n",
            choices: .letters(["A", "B", "C", "D"]),
            scoring: .loglikelihood, answerExtraction: .none,
            metrics: [.acc],
            aggregation: AggregationSpec(primary: .micro,
                rationale: "acc = mean over questions (lm-eval mmlu group, weight_by_size); acc_macro = mean over subjects"),
            knownGaps: [],
            notes: [
                "lm-eval 0.4 mmlu default: subject underscores become spaces in the description",
                "choices are not stripped; the question is strip()ped; acc_norm equals acc (all choices are one character)",
            ])
    }
}
