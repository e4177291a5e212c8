import Foundation
import XCTest
import Engine
import Harness

final class SpecTests: HarnessTestCase {
    let paths = TestEnv.repoPaths

    func testEveryShippedSpecParsesAndPlansOnEveryProfile() throws {
        let profiles = try Profile.loadAll(paths.profiles)
        XCTAssertEqual(Set(profiles.keys), ["smoke", "quick", "small", "study", "paper"])
        XCTAssertNil(profiles["paper"]!.model, "the paper profile takes the model from the user")
        for name in ExperimentSpec.tables {
            let spec = try ExperimentSpec.load(paths.spec(name))
            XCTAssertEqual(spec.table, name)
            let header = try String(contentsOf: paths.spec(name), encoding: .utf8)
            XCTAssertTrue(header.hasPrefix("#") && header.contains("make \(name)"), "\(name): header comment names the command")
            for p in profiles.values {
                let cells = try Planner.plan(spec, profile: p, model: p.model ?? "models/llama-2-7b")
                XCTAssertFalse(cells.isEmpty)
                XCTAssertEqual(Set(cells.map(\.configHash)).count, cells.count, "\(name)/\(p.name): distinct cells hash distinctly")
            }
        }
    }

    func testEveryLayoutLoadsAndPointsAtItsSpec() throws {
        let reported = try ReportedNumbers(url: paths.reportedNumbers)
        for name in Tables.all where name != "table3" {
            let layout = try TableLayout.load(paths.layout(name))
            let spec = try ExperimentSpec.load(paths.spec(layout.spec))
            let labels = Set(spec.methods.map(\.label))
            for r in layout.rows { if let m = r.selector.method { XCTAssertTrue(labels.contains(m), "\(name): row method \(m)") } }
            for c in layout.columns { if let m = c.selector.method { XCTAssertTrue(labels.contains(m), "\(name): column method \(m)") } }
            // Every reported row resolves to numbers for its measured columns.
            for r in layout.rows { if let rr = r.reportedRow {
                let found = layout.columns.compactMap { reported.value(table: layout.table, row: rr, column: $0.reportedColumn ?? $0.header) }
                XCTAssertFalse(found.isEmpty, "\(name): reported row \(rr)")
            } }
        }
        XCTAssertEqual(reported.value(table: "table6", row: "LLaMA2-7B/100/HydraLoRA", column: "BBH"), 37.44)
    }

    func testPaperProfileReproducesTable7Counts() throws {
        // Appendix A.2: 1000 iterations × n=2 × (k=3 · 8 + 8) = 64,000 samples, 1000 steps.
        let paper = try Profile.named("paper", in: paths.profiles)
        let cells = try Planner.plan(try ExperimentSpec.load(paths.spec("table7")), profile: paper, model: "llama")
        let meta = cells.first { $0.method == "meta-lora" }!
        XCTAssertEqual(meta.cost.trainSamples, 64_000)
        XCTAssertEqual(meta.cost.optimizerSteps, 1000)
        XCTAssertTrue(meta.overrides.isEmpty)
        XCTAssertEqual(meta.hyper["alpha"], .double(5e-6))
    }

    func testProfileOverridesAreRecorded() throws {
        let quick = try Profile.named("quick", in: paths.profiles)
        let cells = try Planner.plan(try ExperimentSpec.load(paths.spec("table2")), profile: quick)
        // One seed on quick: LoRA, HydraLoRA, MeTA-LoRA (and Base, once the spec has its entry).
        XCTAssertEqual(cells.filter { $0.method != "base" }.count, 3, "one seed on quick")
        let meta = cells.first { $0.method == "meta-lora" }!
        let scale = try XCTUnwrap(quick.sampleScale)
        let iterations = Int((1000 * scale).rounded())
        XCTAssertEqual(meta.hyper["iterations"], .int(iterations))
        XCTAssertTrue(meta.overrides.contains("iterations 1000 → \(iterations) (×\(JSONValue.double(scale).canonical))"), "\(meta.overrides)")
        XCTAssertTrue(meta.overrides.contains { $0.hasPrefix("alpha 5e-06 → 0.0005") }, "\(meta.overrides)")
        let lora = cells.first { $0.method == "lora" }!
        let full = Int((439_950 * scale / 5).rounded())
        XCTAssertEqual(lora.examplesPerTask, full)
        XCTAssertTrue(lora.overrides.contains { $0.hasPrefix("full data → \(full) examples per task") }, "\(lora.overrides)")
        let text = Planner.describe(cells)
        XCTAssertTrue(text.contains("MeTA-LoRA") && text.contains("\(cells.count) cells") && text.contains("profile overrides:"), text)
    }

    /// Table 1's LoRAHub trains n_loras = 20 upstream LoRAs (of the 42 Flanv2 tasks the mirror holds;
    /// DROP is missing), each on its own 16 examples; plain LoRA trains on all 42.
    func testLoRAHubCostCountsItsUpstreamLoRAs() throws {
        let quick = try Profile.named("quick", in: paths.profiles)
        let cells = try Planner.plan(try ExperimentSpec.load(paths.spec("table1")), profile: quick)
        let hub = try XCTUnwrap(cells.first { $0.method == "lorahub" })
        XCTAssertEqual(hub.hyper["n_loras"], .int(20))
        // Full data on quick: 325,783 × 0.002 / 43 = 15 examples per task.
        XCTAssertEqual(hub.cost.trainSamples, 20 * 15)
        XCTAssertEqual(hub.cost.optimizerSteps, 20 * 2)
        XCTAssertEqual(cells.first { $0.method == "lora" }?.cost.trainSamples, 42 * 15)
    }

    func testConfigHashIsStableAndSharedAcrossTables() throws {
        let smoke = try Profile.named("smoke", in: paths.profiles)
        let a = try Planner.plan(try ExperimentSpec.load(paths.spec("table2")), profile: smoke)
        let b = try Planner.plan(try ExperimentSpec.load(paths.spec("table2")), profile: smoke)
        XCTAssertEqual(a.map(\.configHash), b.map(\.configHash))
        // The canonical JSON sorts keys and has no spaces; the hash is its sha256.
        let c = a.first { $0.method == "meta-lora" }!
        XCTAssertTrue(c.configJSON.hasPrefix("{\"benchmarks\":[{\"name\":\"mmlu\",\"shots\":5}"), c.configJSON)
        XCTAssertEqual(c.configHash, SHA256.hex(of: c.configJSON))
        XCTAssertEqual(c.configHash.count, 64)
        // Table 6's 50-per-task MeTA-LoRA is the same experiment as Table 2's: same hash, run once.
        let t6 = try Planner.plan(try ExperimentSpec.load(paths.spec("table6")), profile: smoke)
        XCTAssertTrue(t6.contains { $0.configHash == c.configHash && $0.methodLabel == "MeTA-LoRA" })
        // Any change of science changes the hash.
        let quick = try Planner.plan(try ExperimentSpec.load(paths.spec("table2")), profile: try Profile.named("quick", in: paths.profiles))
        XCTAssertNotEqual(quick.first { $0.method == "meta-lora" }!.configHash, c.configHash)
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(of: ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: String(repeating: "a", count: 1_000)), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    // MARK: strict parsing

    func parseError(_ yaml: String) -> SpecError? {
        do { _ = try ExperimentSpec.parse(text: yaml, file: "bad.yaml"); return nil } catch { return error as? SpecError }
    }

    let good = TestEnv.sweepSpec(seeds: "[0]")

    func testUnknownKeyNamesFileLineAndField() throws {
        let bad = good.replacingOccurrences(of: "    budgets: [50]\n", with: "    budgets: [50]\n    budgetz: 3\n")
        let e = try XCTUnwrap(parseError(bad))
        XCTAssertEqual(e.file, "bad.yaml")
        XCTAssertEqual(e.line, 12)
        XCTAssertEqual(e.field, "methods[0].budgetz")
        XCTAssertTrue(e.description.contains("unknown key 'budgetz'") && e.description.contains("allowed keys"), e.description)
        XCTAssertTrue(e.description.hasPrefix("bad.yaml:12:"), e.description)
    }

    func testWrongTypeAndMissingField() throws {
        let e1 = try XCTUnwrap(parseError(good.replacingOccurrences(of: "iterations: 1000", with: "iterations: lots")))
        XCTAssertEqual(e1.field, "methods[0].hyper.iterations")
        XCTAssertEqual(e1.line, 12)
        XCTAssertTrue(e1.message.contains("expected an integer"), e1.message)
        let e2 = try XCTUnwrap(parseError(good.replacingOccurrences(of: "setting: five-task\n", with: "")))
        XCTAssertEqual(e2.field, "setting")
        XCTAssertTrue(e2.message.contains("missing"))
        let e3 = try XCTUnwrap(parseError(good.replacingOccurrences(of: "adaptation_steps: 3,", with: "")))
        XCTAssertEqual(e3.field, "methods[0].hyper.adaptation_steps")
        let e4 = try XCTUnwrap(parseError(good.replacingOccurrences(of: "seeds: [0]", with: "seeds: 0")))
        XCTAssertEqual(e4.line, 4)
        XCTAssertTrue(e4.message.contains("expected a list"))
    }

    func testUnknownNamesListTheValidOnes() throws {
        let m = try XCTUnwrap(parseError(good.replacingOccurrences(of: "name: meta-lora", with: "name: metalora")))
        XCTAssertEqual(m.line, 9)
        XCTAssertTrue(m.message.contains("unknown method 'metalora'") && m.message.contains("meta-lora, sta, lora, hydralora"), m.message)
        let b = try XCTUnwrap(parseError(good.replacingOccurrences(of: "name: mmlu,", with: "name: mmlu-pro,")))
        XCTAssertTrue(b.message.contains("valid benchmarks: mmlu, mmlu-math, bbh, xcopa"), b.message)
        XCTAssertEqual(b.line, 7)
        let s = try XCTUnwrap(parseError(good.replacingOccurrences(of: "setting: five-task", with: "setting: six-task")))
        XCTAssertTrue(s.message.contains("five-task-winogrande"), s.message)
        let v = try XCTUnwrap(parseError(good.replacingOccurrences(of: "variant: direct", with: "variant: fancy")))
        XCTAssertTrue(v.message.contains("direct, cot, instruct-eval"), v.message)
        let g = try XCTUnwrap(parseError(good.replacingOccurrences(of: "tasks_per_iteration: 3}", with: "taskz: 3}")))
        XCTAssertTrue(g.message.contains("grid sets unknown hyper-parameter 'taskz'"), g.message)
        XCTAssertEqual(g.line, 17)
        let t = try XCTUnwrap(parseError(good.replacingOccurrences(of: "targets: [q, k, v, o]", with: "targets: [q, ffn]")))
        XCTAssertTrue(t.message.contains("names 'ffn', not one of q, k, v, o, gate, up, down"), t.message)
    }

    func testTasksAreCheckedAgainstTheSetting() throws {
        let withTasks = good.replacingOccurrences(of: "seeds: [0]", with: "seeds: [0]\ntasks: [gsm8k, qqp]")
        let spec = try ExperimentSpec.parse(text: withTasks, file: "t.yaml")
        XCTAssertEqual(spec.tasks, ["gsm8k", "qqp"])
        let cells = try Planner.plan(spec, profile: try TestEnv.testProfile(), model: "m")
        XCTAssertEqual(cells[0].tasks, ["gsm8k", "qqp"])
        XCTAssertTrue(cells[0].configJSON.contains("\"tasks\":[\"gsm8k\",\"qqp\"]"))
        let all = try Planner.plan(try ExperimentSpec.parse(text: good, file: "g"), profile: try TestEnv.testProfile(), model: "m")
        XCTAssertEqual(all[0].tasks, ["gsm8k", "qqp", "cosmosqa", "siqa", "piqa"])
        let e = try XCTUnwrap(parseError(good.replacingOccurrences(of: "seeds: [0]", with: "seeds: [0]\ntasks: [gsm8k, winogrande]")))
        XCTAssertEqual(e.field, "tasks[1]")
        XCTAssertEqual(e.line, 5)
        XCTAssertTrue(e.message.contains("unknown task 'winogrande'; valid tasks: gsm8k, qqp, cosmosqa, siqa, piqa"), e.message)
    }

    func testCellsTrainOnTheTasksTheMirrorHolds() throws {
        let smoke = try Profile.named("smoke", in: paths.profiles)
        let cells = try Planner.plan(try ExperimentSpec.load(paths.spec("table1")), profile: smoke)
        let lora = try XCTUnwrap(cells.first { $0.method == "lora" })
        XCTAssertEqual(lora.tasks.count, 42, "Flanv2's 43 tasks less DROP, which the mirror lacks")
        XCTAssertFalse(lora.tasks.contains("drop"))
        XCTAssertEqual(lora.cost.trainSamples, 42 * 16, "one epoch over 16 examples of each present task")
        // Naming the missing task explicitly is still accepted by the spec and refused by the data module.
        let named = try ExperimentSpec.parse(text: good.replacingOccurrences(of: "setting: five-task", with: "setting: flanv2-43")
            .replacingOccurrences(of: "seeds: [0]", with: "seeds: [0]\ntasks: [drop, boolq]"), file: "t.yaml")
        XCTAssertEqual(named.tasks, ["drop", "boolq"])
    }

    func testYAMLSyntaxErrorHasALine() throws {
        let e = try XCTUnwrap(parseError("name: x\ntable: [table2\nsetting: five-task\n"))
        XCTAssertGreaterThan(e.line, 1)
        XCTAssertTrue(e.message.contains("YAML syntax"))
    }

    func testProfileErrors() throws {
        XCTAssertThrowsError(try Profile.parseAll(text: "profiles:\n  x:\n    description: d\n    model: m\n    rate_scale: {gamma: 2}\n", file: "p.yaml")) { e in
            let s = e as! SpecError
            XCTAssertEqual(s.line, 5); XCTAssertTrue(s.message.contains("valid rates: alpha, beta, lr"), s.message)
        }
        XCTAssertThrowsError(try Planner.plan(try ExperimentSpec.parse(text: good, file: "g"), profile: try Profile.named("paper", in: paths.profiles))) { e in
            XCTAssertTrue("\(e)".contains("--model"))
        }
    }
}
