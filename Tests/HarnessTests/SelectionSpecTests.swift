import Foundation
import XCTest
import Harness

/// Table 13's `selection` / `selection_target` keys: parsing, clear errors, and config hashes.
final class SelectionSpecTests: HarnessTestCase {
    /// A LoRA entry with the given extra keys (indented as method keys).
    static func spec(_ extra: String, budgets: String = "[50]", benchmarks: String = "[{name: mmlu, shots: 5}, {name: bbh, shots: 3, variant: direct}]") -> String {
        """
        name: sel
        table: table13
        setting: five-task
        seeds: [0]
        benchmarks: \(benchmarks)
        methods:
          - name: lora
            budgets: \(budgets)
        \(extra)
            hyper: {lr: 2.0e-4, batch_size: 8, epochs: 5, rank: 16, targets: [q, k, v, o]}
        """
    }

    func parseError(_ yaml: String) -> SpecError? {
        do { _ = try ExperimentSpec.parse(text: yaml, file: "sel.yaml"); return nil } catch { return error as? SpecError }
    }

    func cell(_ extra: String) throws -> ResolvedCell {
        try Planner.plan(try ExperimentSpec.parse(text: Self.spec(extra), file: "sel.yaml"), profile: try TestEnv.testProfile(), model: "m")[0]
    }

    func testBadSelectionNamesAreClearSpecErrors() throws {
        let name = try XCTUnwrap(parseError(Self.spec("    selection: bm52")))
        XCTAssertEqual(name.field, "methods[0].selection")
        XCTAssertEqual(name.line, 9)
        XCTAssertTrue(name.message.contains("unknown data selection 'bm52'") && name.message.contains("random, bm25, dsir"), name.message)

        let target = try XCTUnwrap(parseError(Self.spec("    selection: dsir\n    selection_target: [bbh, mmlu-pro]")))
        XCTAssertEqual(target.field, "methods[0].selection_target[1]")
        XCTAssertTrue(target.message.contains("unknown benchmark 'mmlu-pro'") && target.message.contains("mmlu-math"), target.message)

        let random = try XCTUnwrap(parseError(Self.spec("    selection_target: [bbh]")))
        XCTAssertTrue(random.message.contains("applies to a bm25 or dsir selection"), random.message)

        let full = try XCTUnwrap(parseError(Self.spec("    selection: bm25", budgets: "[full]")))
        XCTAssertEqual(full.field, "methods[0].selection")
        XCTAssertTrue(full.message.contains("a 'full' budget has nothing to select"), full.message)

        let twice = try XCTUnwrap(parseError(Self.spec("    selection: bm25\n    selection_target: [bbh, bbh]")))
        XCTAssertTrue(twice.message.contains("named twice"), twice.message)
    }

    func testTargetDefaultsToTheSpecBenchmarksAndRandomCellsCarryNone() throws {
        XCTAssertEqual(try cell("    selection: bm25").selectionTarget, ["mmlu", "bbh"])
        XCTAssertEqual(try cell("    selection: bm25\n    selection_target: [bbh]").selectionTarget, ["bbh"])
        let random = try cell("    selection: random")
        XCTAssertEqual(random.selectionTarget, [])
        XCTAssertFalse(random.configJSON.contains("selection_target"), "random cells keep the hashes they had before selection existed")
    }

    func testConfigHashDistinguishesSelectionMethodsAndTargets() throws {
        let hashes = try [
            cell("    selection: random"),
            cell("    selection: bm25"),
            cell("    selection: dsir"),
            cell("    selection: bm25\n    selection_target: [bbh]"),
            cell("    selection: dsir\n    selection_target: [bbh]"),
        ].map(\.configHash)
        XCTAssertEqual(Set(hashes).count, hashes.count, "\(hashes)")
        // Table 13 as shipped: the three LoRA rows differ only in their selection.
        let smoke = try Profile.named("smoke", in: TestEnv.repoPaths.profiles)
        let cells = try Planner.plan(try ExperimentSpec.load(TestEnv.repoPaths.spec("table13")), profile: smoke)
        let lora = cells.filter { $0.method == "lora" }
        XCTAssertEqual(lora.map(\.selection), ["random", "bm25", "dsir"])
        XCTAssertEqual(lora.map(\.selectionTarget), [[], ["bbh"], ["bbh"]], "appendix A.4 selects for BBH")
        XCTAssertEqual(Set(lora.map(\.configHash)).count, 3)
    }
}
