import Foundation

/// DSIR, data selection with importance resampling (Xie et al., 2023), the second baseline of
/// appendix A.4 / Table 13.
///
/// Features are hashed unigrams and bigrams of lower-case words (`buckets` = 10,000 by
/// default, FNV-1a hash). Two bag-of-n-grams models with add-one smoothing are fitted, one on
/// the target texts (p_target) and one on the raw candidates (p_raw); an example's importance
/// weight is log p_target(x) − log p_raw(x) = Σ_features count·(log p_target − log p_raw).
/// DSIR proper resamples with probability ∝ weight (Gumbel top-k); here the top-k weights are
/// taken deterministically so that the selection is reproducible without a seed, a documented
/// departure.
public struct DSIRScorer {
    public let buckets: Int
    let logRatio: [Double]

    public init(targetTexts: [String], rawTexts: [String], buckets: Int = 10_000) {
        self.buckets = buckets
        let target = DSIRScorer.bagModel(targetTexts, buckets: buckets)
        let raw = DSIRScorer.bagModel(rawTexts, buckets: buckets)
        logRatio = zip(target, raw).map { $0 - $1 }
    }

    /// Hashed unigram + bigram feature counts of a text.
    public static func features(_ text: String, buckets: Int) -> [Int: Int] {
        let words = SelectionText.words(text)
        var counts: [Int: Int] = [:]
        for (i, w) in words.enumerated() {
            counts[bucket(w, buckets), default: 0] += 1
            if i > 0 { counts[bucket(words[i - 1] + " " + w, buckets), default: 0] += 1 }
        }
        return counts
    }

    static func bucket(_ ngram: String, _ buckets: Int) -> Int {
        Int(Sampling.stableHash(ngram) % UInt64(buckets))
    }

    /// Log-probabilities of an add-one-smoothed bag-of-n-grams model over the buckets.
    static func bagModel(_ texts: [String], buckets: Int) -> [Double] {
        var counts = [Double](repeating: 1, count: buckets)
        for text in texts { for (b, c) in features(text, buckets: buckets) { counts[b] += Double(c) } }
        let total = counts.reduce(0, +)
        return counts.map { log($0 / total) }
    }

    /// log p_target(x) − log p_raw(x), summed in bucket order so that every process adds the
    /// same terms in the same order (dictionary order is seeded per process).
    public func importanceWeight(_ text: String) -> Double {
        DSIRScorer.features(text, buckets: buckets).sorted { $0.key < $1.key }.reduce(0) { $0 + Double($1.value) * logRatio[$1.key] }
    }
}
