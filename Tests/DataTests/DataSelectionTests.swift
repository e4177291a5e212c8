import Foundation
import XCTest
import Data

/// BM25 and DSIR on a small hand-made corpus: the obviously relevant example must rank first.
final class DataSelectionTests: XCTestCase {
    static func example(_ row: Int, _ input: String, _ output: String) -> TrainingExample {
        TrainingExample(id: "toy:corpus:\(row)", instruction: "Answer.", input: input, output: output, task: "toy", cluster: "test")
    }

    static let corpus = [
        example(1, "The recipe needs two cups of flour and an egg.", "Bake for twenty minutes."),
        example(2, "Which planet is closest to the sun?", "Mercury"),
        example(3, "Sort the following words alphabetically: pear apple fig", "apple fig pear"),
        example(4, "The football match ended in a draw after extra time.", "draw"),
        example(5, "Paris is the capital of France.", "yes"),
        example(6, "The weather today is sunny with light wind.", "sunny"),
    ]
    static let targets = [
        "Sort the following words alphabetically: List: banana cherry apple",
        "Sort the following words alphabetically: List: zebra lion",
    ]

    func testBM25RanksTheRelevantExampleFirst() throws {
        let (result, examples) = try DataSelection.select(.bm25, candidates: Self.corpus, targetTexts: Self.targets, count: 3)
        XCTAssertEqual(result.selectedIDs.first, "toy:corpus:3")
        XCTAssertEqual(examples.map(\.id), result.selectedIDs)
        XCTAssertEqual(result.scores, result.scores.sorted(by: >))
        XCTAssertEqual(result.method, .bm25)
        XCTAssertEqual(result.taskID, "toy")
        // Deterministic.
        XCTAssertEqual(try DataSelection.select(.bm25, candidates: Self.corpus, targetTexts: Self.targets, count: 3).result, result)
    }

    func testBM25MatchesTheTextbookFormulaOnOneQuery() {
        let scorer = BM25Scorer(documents: ["a b", "a c c c"])
        // N = 2; df(c) = 1; idf = ln(1 + (2 - 1 + 0.5)/(1 + 0.5)) = ln 2; avgdl = 3.
        let s = scorer.scores(queries: ["c"])
        let norm = 1.5 * (1 - 0.75 + 0.75 * 4 / 3)
        XCTAssertEqual(s[1], log(2) * 3 * 2.5 / (3 + norm), accuracy: 1e-12)
        XCTAssertEqual(s[0], 0)
    }

    func testBM25SumsEveryQueryTermOverEveryQuery() {
        let documents = ["a b b", "a c", "d"]
        let scorer = BM25Scorer(documents: documents)
        // Queries "a b" and "b": qtf(a) = 1, qtf(b) = 2; N = 3, avgdl = 2.
        func idf(_ df: Double) -> Double { log(1 + (3 - df + 0.5) / (df + 0.5)) }
        func part(_ tf: Double, _ length: Double) -> Double { tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * length / 2)) }
        let expected = [1 * idf(2) * part(1, 3) + 2 * idf(1) * part(2, 3), 1 * idf(2) * part(1, 2), 0]
        let scores = scorer.scores(queries: ["a b", "b"])
        for (s, e) in zip(scores, expected) { XCTAssertEqual(s, e, accuracy: 1e-12) }
        XCTAssertEqual(scorer.idf("b"), idf(1), accuracy: 1e-12)
        XCTAssertEqual(scorer.idf("zzz"), idf(0), accuracy: 1e-12, "a term in no document")
    }

    func testDSIRRanksTheRelevantExampleFirst() throws {
        let (result, _) = try DataSelection.select(.dsir, candidates: Self.corpus, targetTexts: Self.targets, count: 2)
        XCTAssertEqual(result.selectedIDs.first, "toy:corpus:3")
        let scorer = DSIRScorer(targetTexts: Self.targets, rawTexts: Self.corpus.map { $0.input + "\n" + $0.output })
        XCTAssertGreaterThan(scorer.importanceWeight("sort the following words alphabetically"),
                             scorer.importanceWeight("the weather today is sunny"))
        XCTAssertEqual(DSIRScorer.features("a b", buckets: 10_000).values.reduce(0, +), 3, "two unigrams and one bigram")
    }

    func testSelectionRejectsImpossibleRequests() {
        XCTAssertThrowsError(try DataSelection.select(.bm25, candidates: Self.corpus, targetTexts: Self.targets, count: 7)) {
            XCTAssertEqual($0 as? DataError, .budgetLargerThanPool(task: "toy", budget: 7, available: 6))
        }
        XCTAssertThrowsError(try DataSelection.select(.dsir, candidates: Self.corpus, targetTexts: [], count: 2))
    }

    func testSelectedBudgetsOnTheMirrorExcludeHeldOut() throws {
        let dir = try Mirror.directory()
        let targets = ["Solve the math problem: how many apples are left after eating three of ten apples?"]
        let plan = try DataPlan.buildSelected(setting: "five-task", tasks: ["gsm8k", "piqa"], directory: dir,
                                              method: .bm25, target: SelectionTarget(name: "apples", texts: targets), count: 50)
        let selections = try XCTUnwrap(plan.selection).results
        XCTAssertEqual(plan.budgets.map(\.size), [50, 50])
        XCTAssertEqual(selections.map(\.selectedIDs), plan.budgets.map(\.exampleIDs))
        XCTAssertTrue(Set(plan.heldOut.map(\.id)).isDisjoint(with: plan.trainingExamples.map(\.id)))
        XCTAssertTrue(plan.budgets[0].examples[0].input.lowercased().contains("apples"))

        // The run record names the method and target and lists the picks by id, like a random draw's.
        let record = plan.record()
        XCTAssertEqual(record["selection"], "bm25")
        XCTAssertEqual(record["selection_target"], "apples=1")
        XCTAssertEqual(record["selection_target_texts"], "1")
        XCTAssertEqual(record["selection_target_sha256"], SelectionTarget(name: "apples", texts: targets).sha256)
        XCTAssertEqual(try Self.budgetIDs(record), ["gsm8k": selections[0].selectedIDs, "piqa": selections[1].selectedIDs])
        let random = try DataPlan.build(setting: "five-task", tasks: ["gsm8k", "piqa"], directory: dir, budgetPerTask: 50, seed: 3)
        XCTAssertEqual(random.record()["selection"], "random")
        XCTAssertEqual(try Self.budgetIDs(random.record()), random.recordedBudgets)
    }

    func testSelectionChecksTheEpisodeAgainstTheCount() throws {
        let dir = try Mirror.directory()
        XCTAssertThrowsError(try DataPlan.buildSelected(setting: "five-task", tasks: ["gsm8k", "piqa"], directory: dir, method: .dsir,
                                                        target: SelectionTarget(name: "t", texts: ["x"]), count: 10,
                                                        episode: (tasksPerIteration: 2, supportSize: 8, querySize: 8))) {
            XCTAssertEqual($0 as? DataError, .episodeLargerThanBudget(supportSize: 8, querySize: 8, budget: 10))
        }
    }

    static func budgetIDs(_ record: [String: String]) throws -> [String: [String]] {
        let json = try XCTUnwrap(record["budget_ids"])
        return try JSONDecoder().decode([String: [String]].self, from: Foundation.Data(json.utf8))
    }
}
