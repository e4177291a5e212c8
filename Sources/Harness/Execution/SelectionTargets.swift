import Foundation
import struct Data.DataDirectory
import Evaluation
import struct Data.SelectionTarget

/// Builds the target of a BM25/DSIR data selection (Table 13) from benchmark names: the inputs,
/// without answers, of every row of each benchmark's evaluated split (`BenchmarkInputReader`).
///
/// The whole benchmark counts, never a profile's `eval_limit` slice: the selection then does not
/// depend on how much of the benchmark a scaled-down run scores, and a profile that caps the
/// budget at 16 trains on the 16 best of the same ranking the paper's 50 come from. A data file
/// two benchmarks share (MMLU-math's subjects are MMLU's) contributes once, under the first
/// benchmark that names it, so no text is weighted twice.
public enum SelectionTargets {
    /// `dataDirectory` as the CLI's --data-dir (nil: $METALORA_DATA, else ./data).
    public static func load(_ benchmarks: [String], dataDirectory: String?) throws -> SelectionTarget {
        var reader = BenchmarkInputReader(data: try DataDirectory.resolve(explicit: dataDirectory).existing())
        var seen = Set<String>()
        var texts: [String] = []
        var sources: [SelectionTarget.Source] = []
        for name in benchmarks {
            // The row inputs do not depend on the BBH prompt variant, so the default definition serves.
            let definition = try BenchmarkRegistry.definition(name: name)
            var count = 0
            for subset in definition.subsets where seen.insert(subset.path + "#" + (subset.rowFilter ?? subset.name)).inserted {
                let subsetTexts = try reader.texts(of: definition, subset: subset)
                texts += subsetTexts
                count += subsetTexts.count
            }
            sources.append(SelectionTarget.Source(name: name, count: count))
        }
        return SelectionTarget(texts: texts, sources: sources)
    }
}
