import XCTest
import Training

/// One name per hyper-parameter on the command line: the descriptors' keys in three spellings,
/// the old flags mapped to them with a note, and errors that name the key, the method and the
/// valid keys or the expected type and range.
final class HyperArgumentsTests: XCTestCase {
    func values(_ tokens: [String], _ descriptor: MethodDescriptor) throws -> (values: [String: HyperValue], notes: [String]) {
        let (positionals, assignments) = try HyperArguments.split(tokens)
        XCTAssertEqual(positionals, [])
        return try HyperArguments.values(assignments, for: descriptor)
    }

    func error(_ tokens: [String], _ descriptor: MethodDescriptor) -> String {
        do { _ = try values(tokens, descriptor); return "no error" } catch { return "\(error)" }
    }

    func testThreeSpellingsOfOneKey() throws {
        for tokens in [["--max-seq-len", "128"], ["--max-seq-len=128"], ["max_seq_len=128"], ["--max_seq_len", "128"]] {
            let r = try values(tokens, LoRAMethod.descriptor)
            XCTAssertEqual(r.values, ["max_seq_len": .int(128)], "\(tokens)")
            XCTAssertEqual(r.notes, [], "\(tokens)")
        }
        let r = try values(["--lr", "1e-3", "targets=q,v", "--lr-scheduler=cosine", "epochs=2"], LoRAMethod.descriptor)
        XCTAssertEqual(r.values, ["lr": .number(1e-3), "targets": .strings(["q", "v"]), "lr_scheduler": .string("cosine"), "epochs": .int(2)])
        XCTAssertEqual(try values(["lora_nums=tasks"], HydraLoRAMethod.descriptor).values, ["lora_nums": .string("tasks")])
        let (positionals, _) = try HyperArguments.split(["experiments/table2.yaml:MeTA-LoRA", "alpha=1e-4", "--beta", "-1"])
        XCTAssertEqual(positionals, ["experiments/table2.yaml:MeTA-LoRA"])
    }

    /// Every legacy flag (the descriptors' `legacyFlags`) maps to its key and prints one note.
    func testEveryLegacyFlagMapsToItsKey() throws {
        let legacy = HyperArguments.legacyFlags()
        XCTAssertEqual(Dictionary(legacy.map { ($0.flag, $0.key) }, uniquingKeysWith: { a, _ in a }),
                       ["--max-length": "max_seq_len", "--warmup": "warmup_steps", "--grad-clip": "gradient_clip",
                        "--eval-examples": "eval_examples_per_task"])
        for (flag, key) in legacy {
            let d = try XCTUnwrap(MethodCatalog.standard.descriptors.first { $0.parameter(key) != nil })
            let p = try XCTUnwrap(d.parameter(key))
            let text = p.type == .number ? "0.5" : "3"
            let r = try values([flag, text], d)
            XCTAssertEqual(r.values, [key: try p.parse(text)], flag)
            XCTAssertEqual(r.notes, ["note: \(flag) is \(key) (\(p.flag))"], flag)
            XCTAssertEqual(try values(["\(flag)=\(text)"], d).values, [key: try p.parse(text)], flag)
        }
        XCTAssertEqual(HyperArguments.legacyNote("--max-length", key: "max_seq_len"), "note: --max-length is max_seq_len (--max-seq-len)")
    }

    /// Every flag the hand-written `metalora train` had still sets the same field, for a method that has it.
    func testEveryOldTrainFlagStillWorks() throws {
        let old: [(String, String, String)] = [
            ("--iterations", "3", "iterations"), ("--epochs", "2", "epochs"), ("--tasks-per-iteration", "2", "tasks_per_iteration"),
            ("--support-size", "4", "support_size"), ("--query-size", "4", "query_size"), ("--adaptation-steps", "2", "adaptation_steps"),
            ("--alpha", "1e-4", "alpha"), ("--beta", "1e-4", "beta"), ("--lr", "1e-3", "lr"), ("--batch-size", "4", "batch_size"),
            ("--max-steps", "5", "max_steps"), ("--n-loras", "3", "n_loras"), ("--search-steps", "7", "search_steps"),
            ("--rank", "8", "rank"), ("--lora-alpha", "16", "lora_alpha"), ("--dropout", "0.1", "dropout"),
            ("--max-length", "128", "max_seq_len"), ("--weight-decay", "0.01", "weight_decay"), ("--warmup", "3", "warmup_steps"),
            ("--grad-clip", "1", "gradient_clip"), ("--eval-examples", "4", "eval_examples_per_task"),
            ("--checkpoint-every", "10", "checkpoint_every"),
        ]
        for (flag, text, key) in old {
            let d = try XCTUnwrap(MethodCatalog.standard.descriptors.first { $0.parameter(key) != nil }, flag)
            let r = try values([flag, text], d)
            XCTAssertEqual(r.values.keys.sorted(), [key], flag)
            let h = try d.resolve(r.values, budgetPerTask: 50)
            XCTAssertEqual(h.value(key), try d.parameter(key)!.parse(text), flag)
        }
    }

    func testErrorsNameTheKeyTheMethodAndTheValidKeys() {
        var e = error(["--bogus", "1"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("unknown hyper-parameter '--bogus'") && e.contains("lora's keys: rank, lora_alpha"), e)
        e = error(["--iterations", "3"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("lora has no hyper-parameter iterations") && e.contains("its keys:"), e)
        e = error(["--warmup", "3"], MetaLoRAMethod.descriptor)
        XCTAssertTrue(e.contains("meta-lora has no hyper-parameter warmup_steps (--warmup)"), e)
        e = error(["rank=abc"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("rank") && e.contains("an integer") && e.contains("≥ 1"), e)
        e = error(["rank=0"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("rank") && e.contains("below the minimum 1"), e)
        e = error(["--lr-scheduler", "step"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("lr_scheduler") && e.contains("one of constant, linear, cosine"), e)
        e = error(["dropout=1"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("dropout") && e.contains("in [0, 1)"), e)
        e = error(["--max-length", "64", "--max-seq-len", "128"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("max_seq_len is given twice (--max-length and --max-seq-len)"), e)
        e = error(["--rank"], LoRAMethod.descriptor)
        XCTAssertTrue(e.contains("--rank needs a value"), e)
        XCTAssertThrowsError(try HyperArguments.split(["-x"]))
    }

    /// `metalora train --help` lists every key of every method, with its flag, and the old spellings.
    func testHelpListsEveryDescriptorKey() {
        let help = HyperArguments.helpText()
        for d in MethodCatalog.standard.descriptors {
            XCTAssertTrue(help.contains("\(d.name): "), d.name)
            for p in d.hyperParameters { XCTAssertTrue(help.contains("\(p.flag) / \(p.key) ("), "\(d.name).\(p.key)") }
        }
        for (flag, key) in HyperArguments.legacyFlags() { XCTAssertTrue(help.contains("\(flag) → \(key)"), flag) }
        XCTAssertTrue(help.contains("--alpha / alpha (number, SGD rate; ≥ 0) default 5e-06; paper 5e-6 (MeTA-LoRA §4.1.3)"), help)
    }

    /// Item 3 of issue #15: every field of `TrainingHyperParameters` is a key's camelCase, except
    /// the two the run sets from its own options (budget and seed), and the stored JSON keys
    /// (snake_case) are the keys themselves.
    func testFieldsAreTheKeysInCamelCase() {
        let fields = Set(Mirror(reflecting: TrainingHyperParameters()).children.compactMap(\.label))
        let keys = Set(MethodCatalog.standard.allParameters.map(\.fieldName))
        XCTAssertEqual(fields.subtracting(keys), ["budgetPerTask", "seed"])
        var h = TrainingHyperParameters(); h.maxSteps = 1; h.nLoras = 1; h.searchSteps = 1; h.loraNums = 1; h.heads = 1; h.gradientClip = 1
        let stored = Set(h.keyedValues.keys)
        for p in MethodCatalog.standard.allParameters { XCTAssertTrue(stored.contains(p.key), p.key) }
    }
}
