/// Micro (over items) and macro (over subsets) averages of per-sample correctness.
public enum Aggregation {
    public struct Result: Sendable, Equatable {
        public var perSubset: [String: SubsetScore]
        public var n: Int
        public var micro: Double
        public var macro: Double
        public var normMicro: Double?
        public var normMacro: Double?
    }

    /// `order` lists the subsets; subsets without samples are left out of both averages.
    public static func aggregate(_ samples: [SampleRecord], order: [String], withNorm: Bool) -> Result {
        var bySubset: [String: [SampleRecord]] = [:]
        for s in samples { bySubset[s.subset, default: []].append(s) }
        var perSubset: [String: SubsetScore] = [:]
        var accs: [Double] = [], norms: [Double] = []
        var total = 0, correct = 0, correctNorm = 0
        for name in order {
            guard let rows = bySubset[name], !rows.isEmpty else { continue }
            let c = rows.filter(\.correct).count
            let cn = rows.filter { $0.correctNorm ?? false }.count
            let acc = Double(c) / Double(rows.count)
            let norm = withNorm ? Double(cn) / Double(rows.count) : nil
            perSubset[name] = SubsetScore(n: rows.count, correct: c, acc: acc, accNorm: norm)
            accs.append(acc); if let norm { norms.append(norm) }
            total += rows.count; correct += c; correctNorm += cn
        }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        return Result(perSubset: perSubset, n: total,
                      micro: total == 0 ? 0 : Double(correct) / Double(total), macro: mean(accs),
                      normMicro: withNorm ? (total == 0 ? 0 : Double(correctNorm) / Double(total)) : nil,
                      normMacro: withNorm ? mean(norms) : nil)
    }
}
