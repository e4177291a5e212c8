import Foundation

/// Okapi BM25 (Robertson et al., 2009), the first data-selection baseline of appendix A.4 /
/// Table 13, with k1 = 1.5, b = 0.75 and lower-case word tokens.
///
/// The candidates (one task's pool) are the document collection. The target benchmark is a
/// set of texts (e.g. BBH inputs); an example's relevance is the sum of its BM25 scores over
/// all target texts taken as queries. Because BM25 is additive over query terms, that sum is
/// Σ_t qtf(t)·idf(t)·tf-part(t, d) with qtf the term's count over all target texts, computed in
/// one pass per document.
///
/// Terms are numbered in order of first appearance and each document keeps its terms in that
/// order, so a score is summed in the same order in every process (dictionary order is seeded
/// per process, and a different summation order could flip near-ties between runs), and a
/// document visits only its own terms rather than the whole target vocabulary.
public struct BM25Scorer {
    public let k1: Double
    public let b: Double
    /// Term → id, ids in order of first appearance over the documents.
    let termIDs: [String: Int]
    /// Each document's (term id, term frequency), ascending by id.
    let documents: [[(term: Int, frequency: Int)]]
    let lengths: [Int]
    let averageLength: Double
    /// Documents containing each term, by id.
    let documentFrequency: [Int]

    public init(documents texts: [String], k1: Double = 1.5, b: Double = 0.75) {
        self.k1 = k1
        self.b = b
        var termIDs: [String: Int] = [:]
        var df: [Int] = []
        var documents: [[(term: Int, frequency: Int)]] = []
        var lengths: [Int] = []
        for text in texts {
            let words = SelectionText.words(text)
            var tf: [Int: Int] = [:]
            for w in words {
                let id: Int
                if let known = termIDs[w] { id = known } else { id = termIDs.count; termIDs[w] = id; df.append(0) }
                tf[id, default: 0] += 1
            }
            for id in tf.keys { df[id] += 1 }
            documents.append(tf.sorted { $0.key < $1.key }.map { (term: $0.key, frequency: $0.value) })
            lengths.append(words.count)
        }
        self.termIDs = termIDs
        self.documents = documents
        self.lengths = lengths
        self.averageLength = texts.isEmpty ? 1 : max(1, Double(lengths.reduce(0, +)) / Double(texts.count))
        self.documentFrequency = df
    }

    /// The non-negative IDF variant (Lucene's): ln(1 + (N − df + 0.5)/(df + 0.5)), so terms in
    /// more than half the documents still count a little instead of negatively.
    public func idf(_ term: String) -> Double { idf(documentFrequency: termIDs[term].map { documentFrequency[$0] } ?? 0) }

    func idf(documentFrequency df: Int) -> Double {
        let n = Double(documents.count)
        return log(1 + (n - Double(df) + 0.5) / (Double(df) + 0.5))
    }

    /// BM25 of every document for a weighted bag of query terms.
    public func scores(queryTermCounts: [String: Int]) -> [Double] {
        // Query weight per term id (0 for terms not in the query; idf is always positive).
        var weight = [Double](repeating: 0, count: documentFrequency.count)
        for (term, count) in queryTermCounts {
            if let id = termIDs[term] { weight[id] = Double(count) * idf(documentFrequency: documentFrequency[id]) }
        }
        return documents.indices.map { d in
            let norm = k1 * (1 - b + b * Double(lengths[d]) / averageLength)
            var s = 0.0
            for (term, tf) in documents[d] where weight[term] != 0 {
                let f = Double(tf)
                s += weight[term] * f * (k1 + 1) / (f + norm)
            }
            return s
        }
    }

    /// The summed BM25 of every document over `queries` (see the type's note).
    public func scores(queries: [String]) -> [Double] {
        var counts: [String: Int] = [:]
        for q in queries { for w in SelectionText.words(q) { counts[w, default: 0] += 1 } }
        return scores(queryTermCounts: counts)
    }
}
