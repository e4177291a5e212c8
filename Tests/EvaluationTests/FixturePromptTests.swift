import XCTest
import Evaluation
import TestSupport

/// The prompt builders reproduce mc-scoring/items.json contexts and choices from the raw fields.
final class FixturePromptTests: XCTestCase {
    func items(kind: String) throws -> [[String: Any]] {
        guard let root = try Fixtures.json("mc-scoring/items.json") as? [String: Any],
              let items = root["items"] as? [[String: Any]] else { throw XCTSkip("unexpected items.json layout") }
        return items.filter { ($0["kind"] as? String)?.hasPrefix(kind) == true }
    }

    /// The MMLU items store only the rendered context; parse its blocks back into rows (question,
    /// four choices, answer letter) and check the builder renders exactly the same string.
    func testMMLUContextsRebuiltFromParsedRows() throws {
        let mmlu = try items(kind: "mmlu")
        XCTAssertEqual(mmlu.count, 2)
        for item in mmlu {
            let context = item["context"] as! String, subject = item["subject"] as! String
            let header = "The following are multiple choice questions (with answers) about \(subject).\n\n"
            XCTAssertTrue(context.hasPrefix(header))
            let blocks = String(context.dropFirst(header.count)).components(separatedBy: "\n\n")
            func row(_ block: String) -> MMLURow {
                let lines = block.components(separatedBy: "\n")
                let choices = (1...4).map { String(lines[$0].dropFirst(3)) }
                let letter = lines[5].dropFirst("Answer:".count).trimmingCharacters(in: .whitespaces)
                return MMLURow(question: lines[0], choices: choices, answer: ["A", "B", "C", "D"].firstIndex(of: letter) ?? 0)
            }
            let shots = blocks.dropLast().map(row)
            XCTAssertEqual(shots.count, 5)
            let test = row(blocks.last!)
            let built = MMLUPrompt.item(subject: subject.replacingOccurrences(of: " ", with: "_"), shots: shots, row: test)
            guard case .multipleChoice(let ctx, let conts, let texts, _) = built.task else { return XCTFail() }
            XCTAssertEqual(ctx, context)
            XCTAssertEqual(texts, item["choices"] as? [String])
            XCTAssertEqual(conts, (item["requests"] as! [[String: Any]]).map { ($0["request"] as! [String: String])["continuation"]! })
        }
    }

    func testXCOPAContextsFromDocs() throws {
        let xcopa = try items(kind: "xcopa")
        XCTAssertEqual(xcopa.count, 2)
        for item in xcopa {
            let doc = item["doc"] as! [String: Any]
            let conn = doc["connector"] as! [String: String]
            let row = XCOPARow(premise: doc["premise"] as! String, choice1: doc["choice1"] as! String,
                               choice2: doc["choice2"] as! String, question: doc["question"] as! String, label: doc["label"] as! Int)
            let built = XCOPAPrompt.item(language: doc["lang"] as! String, row: row, connectors: (conn["cause"]!, conn["effect"]!))
            guard case .multipleChoice(let ctx, let conts, let texts, let gold) = built.task else { return XCTFail() }
            XCTAssertEqual(ctx, item["context"] as? String)
            XCTAssertEqual(texts, item["choices"] as? [String])
            XCTAssertEqual(conts, texts.map { " " + $0 })
            XCTAssertEqual(gold, item["gold"] as? Int)
            XCTAssertEqual(built.loglikelihoodRequests.map(\.context), (item["requests"] as! [[String: Any]]).map { ($0["request"] as! [String: String])["context"]! })
        }
        // The shipped sw connectors are the ones the fixture used.
        XCTAssertTrue(MultilingualDefinitions.xcopaConnectors["sw"]! == ("kwa sababu", "kwa hiyo"))
    }

    func testWinogradPartialScoringFromDocs() throws {
        let wino = try items(kind: "winograd")
        XCTAssertEqual(wino.count, 2)
        for item in wino {
            let doc = item["doc"] as! [String: String]
            let row = WinogradRow(sentence: doc["sentence"]!, option1: doc["option1"]!, option2: doc["option2"]!,
                                  answer: Int(doc["answer"]!)! - 1)
            let built = try WinogradPrompt.item(language: "en", row: row)
            guard case .partialScoring(let contexts, let continuation, let gold) = built.task else { return XCTFail() }
            XCTAssertEqual(contexts, item["contexts"] as? [String])
            XCTAssertEqual(continuation, " " + (item["target"] as! String))
            XCTAssertEqual(gold, item["gold"] as? Int)
        }
    }

    /// acc / acc_norm picks from the fixture's float64 log-likelihoods, with its length convention.
    func testPicksMatchFixture() throws {
        let all = try items(kind: "")
        for item in all {
            let lls = item["loglikelihoods"] as! [Double]
            let lengths = (item["choice_char_lengths"] as! [Double]).map(Int.init)
            let texts = (item["choices"] as! [String])
            XCTAssertEqual(texts.map(PythonString.length), lengths, "\(item["kind"]!)")
            XCTAssertEqual(ChoiceScoring.accPick(lls), item["acc_pick"] as? Int, "\(item["kind"]!)")
            XCTAssertEqual(ChoiceScoring.accNormPick(lls, choiceTexts: texts), item["acc_norm_pick"] as? Int, "\(item["kind"]!)")
        }
    }
}
