import Foundation

/// Okapi BM25 (Robertson et al., 2009), the first data-selection baseline of appendix A.4 /
/// Table 13, with k1 = 1.5, b = 0.75 and lower-case word tokens.
///
/// The candidates (one task's pool) are the document collection. The target benchmark is a
/// set of texts (e.g. BBH inputs); an example's relevance is the sum of its BM25 scores over
/// all target texts taken as queries. Because BM25 is additive over query terms, that sum is
/// Σ_t qtf(t)·idf(t)·tf-part(t, d) with qtf the term's count over all target texts, computed in
/// one pass per document.
public struct BM25Scorer {
    public let k1: Double
    public let b: Double
    let documents: [[String: Int]]
    let lengths: [Int]
    let averageLength: Double
    let documentFrequency: [String: Int]

    public init(documents texts: [String], k1: Double = 1.5, b: Double = 0.75) {
        self.k1 = k1
        self.b = b
        var documents: [[String: Int]] = []
        var lengths: [Int] = []
        var df: [String: Int] = [:]
        for text in texts {
            let words = SelectionText.words(text)
            var tf: [String: Int] = [:]
            for w in words { tf[w, default: 0] += 1 }
            for w in tf.keys { df[w, default: 0] += 1 }
            documents.append(tf)
            lengths.append(words.count)
        }
        self.documents = documents
        self.lengths = lengths
        self.averageLength = texts.isEmpty ? 1 : max(1, Double(lengths.reduce(0, +)) / Double(texts.count))
        self.documentFrequency = df
    }

    /// The non-negative IDF variant (Lucene's): ln(1 + (N − df + 0.5)/(df + 0.5)), so terms in
    /// more than half the documents still count a little instead of negatively.
    public func idf(_ term: String) -> Double {
        let n = Double(documents.count), df = Double(documentFrequency[term] ?? 0)
        return log(1 + (n - df + 0.5) / (df + 0.5))
    }

    /// BM25 of every document for a weighted bag of query terms.
    public func scores(queryTermCounts: [String: Int]) -> [Double] {
        let weights = queryTermCounts.compactMap { term, count -> (String, Double)? in
            documentFrequency[term] == nil ? nil : (term, Double(count) * idf(term))
        }
        return documents.indices.map { d in
            let norm = k1 * (1 - b + b * Double(lengths[d]) / averageLength)
            var s = 0.0
            for (term, w) in weights {
                guard let tf = documents[d][term] else { continue }
                let f = Double(tf)
                s += w * f * (k1 + 1) / (f + norm)
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
