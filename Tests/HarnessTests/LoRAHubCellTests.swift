import Foundation
import XCTest
import Harness
import TestSupport

/// A smoke-sized `method: lorahub` cell through the real executor: upstream LoRAs on real five-task
/// data (tiny model), one composition per BBH task / MMLU subject searched on its few-shot source,
/// every subset scored with its own composition; a re-run reuses the upstream LoRAs and the cached
/// searches and reproduces the metrics.
final class LoRAHubCellTests: HarnessTestCase {
    static let spec = """
        name: lorahub-smoke
        table: table1
        setting: five-task
        tasks: [gsm8k, siqa, piqa]
        seeds: [0]
        benchmarks:
          - {name: bbh, shots: 1, variant: instruct-eval}
          - {name: mmlu-math, shots: 1}
        methods:
          - {name: base, label: Base}
          - name: lorahub
            label: LoRAHub
            budgets: [8]
            hyper: {lr: 1.0e-2, batch_size: 8, epochs: 1, rank: 4, targets: [q, k, v, o], n_loras: 2, search_steps: 3,
                    search_loss: token_mean}
        """

    /// The repository's smoke profile, one evaluation item per subset.
    static let profile = """
        profiles:
          lorahub-smoke:
            description: "tiny fixture model, one item per subset"
            model: null
            max_epochs: 1
            max_examples_per_task: 8
            eval_limit: 1
            max_seq_len: 1024
        """

    /// The base and the lorahub cell of the spec.
    func cells() throws -> (base: ResolvedCell, lorahub: ResolvedCell) {
        let root = try TestEnv.tempDir()
        let specURL = root.appendingPathComponent("lorahub.yaml")
        try Self.spec.write(to: specURL, atomically: true, encoding: .utf8)
        let profile = try XCTUnwrap(try Profile.parseAll(text: Self.profile, file: "profiles.yaml")["lorahub-smoke"])
        let cells = try Planner.plan(try ExperimentSpec.load(specURL), profile: profile,
                                     model: try Fixtures.require("tiny-llama/model-f32.gguf").path)
        XCTAssertEqual(cells.map(\.method), ["base", "lorahub"])
        return (cells[0], cells[1])
    }

    /// Per-item choice log-likelihoods of a benchmark's samples, by prompt id.
    func choiceLoglikelihoods(_ outcome: CellOutcome, _ benchmark: String) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for s in outcome.samples where s.benchmark == benchmark {
            if case .object(let d) = s.detail, let id = d["prompt_id"]?.display { out[id] = d["choice_loglikelihoods"] }
        }
        return out
    }

    func settings(_ outcome: CellOutcome, _ benchmark: String) throws -> [String: JSONValue] {
        let metric = try XCTUnwrap(outcome.metrics.first { $0.benchmark == benchmark && $0.subset == "all" && $0.metric == "accuracy" })
        guard case .object(let o) = metric.settings, case .object(let lorahub)? = o["lorahub"] else {
            XCTFail("\(benchmark): no lorahub settings in \(metric.settings)"); return [:]
        }
        return lorahub
    }

    func testLoRAHubCellComposesPerSubsetAndResumes() throws {
        guard FileManager.default.fileExists(atPath: TestEnv.sharedData.appendingPathComponent("bbh").path) else {
            throw XCTSkip("no data mirror at \(TestEnv.sharedData.path)")
        }
        let (base, cell) = try cells()
        let checkpoint = try TestEnv.tempDir("lorahub-cell")
        var lines: [String] = []
        let t0 = Date(); let executor = EngineCellExecutor(dataDirectory: TestEnv.sharedData.path) { lines.append(String(format: "%.1f ", Date().timeIntervalSince(t0)) + $0) }
        let first = try executor.execute(cell, checkpointDir: checkpoint, threads: 1) { _ in }
        print(lines.joined(separator: "\n"))

        // Every subset is scored, each with the composition searched for it.
        let bbhSubsets = first.metrics.filter { $0.benchmark == "bbh" && $0.subset != "all" && $0.metric == "accuracy" }
        let mathSubsets = first.metrics.filter { $0.benchmark == "mmlu-math" && $0.subset != "all" && $0.metric == "accuracy" }
        XCTAssertEqual(bbhSubsets.count, 27)
        XCTAssertEqual(mathSubsets.count, 5)
        var weightVectors = Set<String>()
        for m in bbhSubsets + mathSubsets {
            guard case .object(let o) = m.settings, case .object(let l)? = o["lorahub"], case .object(let w)? = l["weights"] else {
                XCTFail("\(m.benchmark)/\(m.subset): no composition recorded"); continue
            }
            XCTAssertEqual(w.count, 2, "n_loras 2")
            weightVectors.insert(w.keys.sorted().map { "\($0)=\(w[$0]!.display)" }.joined(separator: ","))
        }
        XCTAssertGreaterThan(weightVectors.count, 1, "subsets have their own compositions")

        // The subsets were scored with their compositions, not the base model (MMLU scores choices by log-likelihood).
        let baseOutcome = try executor.execute(base, checkpointDir: try TestEnv.tempDir("base-cell"), threads: 1) { _ in }
        let adapted = choiceLoglikelihoods(first, "mmlu-math"), plain = choiceLoglikelihoods(baseOutcome, "mmlu-math")
        XCTAssertEqual(Set(adapted.keys), Set(plain.keys))
        XCTAssertEqual(adapted.count, 5)
        for (id, lls) in adapted { XCTAssertNotEqual(lls, plain[id], "\(id) scored as by the base model") }

        // Targets: BBH instruct-eval's unscored leading item (1 shot here) (a recorded deviation from LoRAHub's 5), MMLU's 5 dev rows.
        let bbh = try settings(first, "bbh")
        guard case .object(let bbhCounts)? = bbh["target_examples"] else { return XCTFail("no target counts") }
        XCTAssertEqual(bbhCounts.count, 27)
        XCTAssertTrue(bbhCounts.values.allSatisfy { $0 == .int(1) })
        XCTAssertTrue(bbh["deviation"]?.display.contains("instead of LoRAHub's 5") ?? false, "\(bbh)")
        let math = try settings(first, "mmlu-math")
        guard case .object(let mathCounts)? = math["target_examples"] else { return XCTFail("no target counts") }
        XCTAssertTrue(mathCounts.values.allSatisfy { $0 == .int(5) })
        XCTAssertNil(math["deviation"])
        XCTAssertEqual(math["search_steps"], .int(3))

        // Counters: 2 upstream LoRAs × 1 step of 8 examples; 3 search passes per subset over its targets.
        XCTAssertEqual(first.optimizerSteps, 2)
        XCTAssertEqual(first.samplesProcessed, 2 * 8 + 3 * (27 * 1 + 5 * 5))
        let cache = checkpoint.appendingPathComponent("lorahub")
        let bbhCache = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("bbh-instruct-eval-1shot").path)
        XCTAssertEqual(bbhCache.count, 27)
        let upstream = try FileManager.default.contentsOfDirectory(atPath: checkpoint.appendingPathComponent("upstream").path)
        XCTAssertEqual(upstream.count, 2)

        // The same cell again (a resumed or repeated run): nothing is retrained or searched again.
        lines = []
        let second = try executor.execute(cell, checkpointDir: checkpoint, threads: 1) { _ in }
        XCTAssertTrue(lines.contains { $0.contains("2 reused from an earlier run") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.contains("(32 subsets from the cache)") }, lines.joined(separator: "\n"))
        XCTAssertFalse(lines.contains { $0.contains("loss") && $0.contains("→") }, "no search ran")
        XCTAssertEqual(second.metrics.map(\.value), first.metrics.map(\.value))
        XCTAssertEqual(second.samplesProcessed, first.samplesProcessed)
        XCTAssertEqual(second.tokensProcessed, first.tokensProcessed)
    }

    /// A zero-shot benchmark has nothing to compose from: refused before any upstream LoRA trains.
    func testZeroShotBenchmarkIsRefusedBeforeTraining() throws {
        guard FileManager.default.fileExists(atPath: TestEnv.sharedData.appendingPathComponent("xcopa").path) else {
            throw XCTSkip("no data mirror at \(TestEnv.sharedData.path)")
        }
        let root = try TestEnv.tempDir()
        let specURL = root.appendingPathComponent("lorahub-xcopa.yaml")
        try Self.spec.replacingOccurrences(of: "  - {name: bbh, shots: 1, variant: instruct-eval}\n  - {name: mmlu-math, shots: 1}",
                                           with: "  - {name: xcopa, shots: 0}")
            .write(to: specURL, atomically: true, encoding: .utf8)
        let profile = try XCTUnwrap(try Profile.parseAll(text: Self.profile, file: "profiles.yaml")["lorahub-smoke"])
        let cells = try Planner.plan(try ExperimentSpec.load(specURL), profile: profile,
                                     model: try Fixtures.require("tiny-llama/model-f32.gguf").path)
        let cell = try XCTUnwrap(cells.first { $0.method == "lorahub" })
        XCTAssertEqual(cell.benchmarks.map(\.name), ["xcopa"])
        let checkpoint = try TestEnv.tempDir("lorahub-xcopa")
        XCTAssertThrowsError(try EngineCellExecutor(dataDirectory: TestEnv.sharedData.path) { _ in }
            .execute(cell, checkpointDir: checkpoint, threads: 1) { _ in }) {
            XCTAssertTrue("\($0)".contains("xcopa is zero-shot and declares no few-shot source"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("upstream").path))
    }
}
