import Foundation
import XCTest
import Evaluation

/// The selection targets of Table 13: every evaluated row's input, answers left out.
final class BenchmarkInputTests: XCTestCase {
    func testMMLUAndBBHInputsCoverEveryRowWithoutAnswers() throws {
        let data = try MirrorData.directory()
        var reader = BenchmarkInputReader(data: data)

        let math = try BenchmarkRegistry.definition(name: "mmlu-math")
        let mathTexts = try reader.texts(of: math)
        let mathRows = try math.subsets.flatMap { try MMLULoader.load($0.path, in: data) }
        XCTAssertEqual(mathTexts.count, mathRows.count)
        XCTAssertEqual(mathTexts.count, 1064, "the five math subjects' test rows")
        // Question then the four options, one per line; the answer index appears nowhere.
        XCTAssertEqual(mathTexts[0], ([mathRows[0].question] + mathRows[0].choices).joined(separator: "\n"))
        XCTAssertFalse(mathTexts[0].contains("Answer:"))

        let bbh = try BenchmarkRegistry.definition(name: "bbh", variant: "instruct-eval")
        let bbhTexts = try reader.texts(of: bbh)
        XCTAssertEqual(bbhTexts.count, 6511, "all rows, including the leading shots instruct-eval does not score")
        let first = try BBHLoader.loadTask(bbh.subsets[0].path, in: data)[0]
        XCTAssertEqual(bbhTexts[0], first.input)
        XCTAssertFalse(bbhTexts[0].hasSuffix(first.target))
    }

    func testSharedFileBenchmarksSplitByLanguage() throws {
        let data = try MirrorData.directory()
        var reader = BenchmarkInputReader(data: data)
        let xwinograd = try BenchmarkRegistry.definition(name: "xwinograd")
        let perLanguage = try xwinograd.subsets.map { try reader.texts(of: xwinograd, subset: $0).count }
        XCTAssertEqual(perLanguage, [2325, 83, 959, 263, 315, 16], "en fr jp pt ru zh rows of dataset.tsv (mirror README)")
        let xcopa = try BenchmarkRegistry.definition(name: "xcopa")
        XCTAssertEqual(try reader.texts(of: xcopa, subset: xcopa.subsets[0]).count, 500)
    }
}
