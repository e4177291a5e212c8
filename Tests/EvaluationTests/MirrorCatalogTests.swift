import XCTest
import Evaluation

/// Every shipped definition points at files the mirror holds, with the documented sizes.
final class MirrorCatalogTests: XCTestCase {
    func testEveryDefinitionFileExists() throws {
        let data = try MirrorData.directory()
        var definitions = try BenchmarkRegistry.names.filter { $0 != "bbh" }.map { try BenchmarkRegistry.definition(name: $0) }
        definitions += try BBHDefinitions.variants.map { try BenchmarkRegistry.definition(name: "bbh", variant: $0) }
        // A protocol whose data the mirror lacks says so by name (bbh rlora: LoRAHub's data_bbh).
        let unavailable = definitions.filter { !$0.missingData(in: data).isEmpty }
        XCTAssertEqual(unavailable.map(\.label), ["bbh (rlora)"])
        for def in unavailable {
            assertEvaluationError(try ItemPreparation.prepare(def, options: EvaluationOptions(dataDirectory: data)),
                                  mentions: ["bbh (rlora)", "bbh/lorahub-data_bbh", "data_bbh.zip"])
        }
        for def in definitions where def.missingData(in: data).isEmpty {
            for s in def.subsets {
                XCTAssertTrue(FileManager.default.fileExists(atPath: data.url(s.path).path), "\(def.name)/\(s.name): \(s.path)")
                if let f = s.fewShotPath { XCTAssertTrue(FileManager.default.fileExists(atPath: data.url(f).path), "\(def.name)/\(s.name): \(f)") }
            }
        }
        XCTAssertEqual(BBHDefinitions.tasks.count, 27)
        XCTAssertEqual(MultilingualDefinitions.xcopaLanguages.count, 11)
        XCTAssertEqual(Set(MultilingualDefinitions.xcopaConnectors.keys), Set(MultilingualDefinitions.xcopaLanguages))
    }

    func testFullSizes() throws {
        let data = try MirrorData.directory()
        func total(_ name: String, _ variant: String? = nil) throws -> PreparedBenchmark {
            try ItemPreparation.prepare(try BenchmarkRegistry.definition(name: name, variant: variant), options: EvaluationOptions(dataDirectory: data))
        }
        XCTAssertEqual(try total("mmlu").totalItems, 14_042)
        XCTAssertEqual(try total("bbh").totalItems, 6_511)
        XCTAssertEqual(try total("bbh", "instruct-eval").totalItems, 6_511 - 27 * 3)
        let xcopa = try total("xcopa")
        XCTAssertEqual(xcopa.subsets.map { xcopa.items[$0]!.count }, Array(repeating: 500, count: 11))
        let story = try total("xstorycloze")
        XCTAssertEqual(story.subsets.map { story.items[$0]!.count }, Array(repeating: 1_511, count: 11))
    }

    /// The answer-only exemplars equal lm-eval's generated `bbh/fewshot/date_understanding.yaml`.
    func testDirectExemplarsMatchLmEvalYaml() throws {
        let data = try MirrorData.directory()
        let prompt = try BBHLoader.loadPrompt("bbh/cot-prompts/date_understanding.txt", in: data)
        XCTAssertEqual(prompt.description, "Infer the date from context.")
        let expected = "Q: Today is Christmas Eve of 1937. What is the date 10 days ago in MM/DD/YYYY?\nOptions:\n(A) 12/14/2026\n(B) 12/14/1950\n(C) 12/14/2007\n(D) 12/14/1937\n(E) 07/14/1938\n(F) 12/14/1988\nA: (D)\n\nQ: Tomorrow is 11/12/2019. What is the date one year ago from today in MM/DD/YYYY?\nOptions:\n(A) 09/04/2018\n(B) 11/11/2018\n(C) 08/25/2018\n(D) 11/02/2018\n(E) 11/04/2018\nA: (B)\n\nQ: Jane and John married on Jan 2, 1958. It is their 5-year anniversary today. What is the date tomorrow in MM/DD/YYYY?\nOptions:\n(A) 01/11/1961\n(B) 01/03/1963\n(C) 01/18/1961\n(D) 10/14/1960\n(E) 01/03/1982\n(F) 12/03/1960\nA: (B)"
        XCTAssertEqual(prompt.answerOnlyExemplars().joined(separator: "\n\n"), expected)
        // Every task parses into three exemplars with a final answer.
        for task in BBHDefinitions.tasks {
            let p = try BBHLoader.loadPrompt("bbh/cot-prompts/\(task).txt", in: data)
            XCTAssertEqual(p.exemplars.count, 3, task)
            XCTAssertFalse(p.answerOnlyExemplars().contains { $0.hasSuffix("A: ") }, task)
        }
    }
}
