import XCTest
import Evaluation

/// Every benchmark and variant runs end to end on the real mirror (`--limit 2`) with a
/// deterministic backend, producing a complete report, records and JSON.
final class MirrorSmokeTests: XCTestCase {
    /// Log-likelihood from a hash of the request, so picks vary but are reproducible.
    static func pseudoLoglikelihood(_ r: LoglikelihoodRequest) -> Double {
        var h: UInt64 = 1469598103934665603
        for b in (r.context + "|" + r.continuation).utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return -Double(h % 10_000) / 1000
    }

    func testAllBenchmarksWithLimit() throws {
        let data = try MirrorData.directory()
        let runs: [(String, String?)] = BenchmarkRegistry.names.filter { $0 != "bbh" }.map { ($0, nil) }
            + BBHDefinitions.variants.map { ("bbh", $0) }
        for (name, variant) in runs {
            let def = try BenchmarkRegistry.definition(name: name, variant: variant)
            if !def.missingData(in: data).isEmpty { continue }   // MirrorCatalogTests checks its error
            // Training-task held-out items are built by an experiment cell (HeldOutItems), not from the mirror.
            if case .trainingPrompt = def.template { continue }
            let backend = ScriptedBackend(loglikelihood: Self.pseudoLoglikelihood, generation: { _ in " (A)" })
            let report = try Evaluator.run(def, backend: backend, options: EvaluationOptions(dataDirectory: data, limit: 2))
            let label = name + (variant.map { "/\($0)" } ?? "")
            XCTAssertEqual(report.n, 2 * def.subsets.count, label)
            XCTAssertEqual(report.samples.count, report.n, label)
            XCTAssertEqual(report.subsetOrder, def.subsets.map(\.name), label)
            XCTAssertTrue(report.partial, label)
            XCTAssertTrue((0...1).contains(report.acc), label)
            XCTAssertEqual(report.settings.limit, 2, label)
            XCTAssertEqual(report.variant, variant, label)
            XCTAssertFalse(ReportTable.render(report).isEmpty)
            XCTAssertNoThrow(try report.jsonData())
            XCTAssertEqual(LMEvalSampleLog.jsonLines(report.samples).filter { $0 == 0x0A }.count, report.n, label)
        }
    }
}
