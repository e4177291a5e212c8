/// lm-eval 0.4 `multiple_choice` metrics from per-choice log-likelihoods.
public enum ChoiceScoring {
    /// Index of the largest value, the first one on ties (numpy `argmax`). NaN never wins.
    public static func argmaxFirst(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices.dropFirst() where values[i] > values[best] || (values[best].isNaN && !values[i].isNaN) { best = i }
        return best
    }

    /// `acc` pick: argmax of the raw summed log-likelihoods.
    public static func accPick(_ loglikelihoods: [Double]) -> Int { argmaxFirst(loglikelihoods) }

    /// `acc_norm` pick: argmax of loglikelihood / len(choice) with len in code points (Python `len`).
    public static func accNormPick(_ loglikelihoods: [Double], choiceTexts: [String]) -> Int {
        argmaxFirst(zip(loglikelihoods, choiceTexts).map { $0 / Double(PythonString.length($1)) })
    }
}
