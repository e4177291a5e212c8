import Foundation
import XCTest
import Data

/// Prompt rendering, loss masking and truncation with a fake character-level tokenizer
/// (one token per Unicode scalar, id = scalar value), so every count is checkable by hand.
final class PromptFormatTests: XCTestCase {
    static let charTokenizer: (String) -> [Int] = { $0.unicodeScalars.map { Int($0.value) } }
    static let eos = 0
    static let example = TrainingExample(id: "t:f:1", instruction: "Add.", input: "1+1", output: "2", task: "t", cluster: "c")

    func testAlpacaTemplateWithAndWithoutInput() {
        let (prompt, response) = PromptFormat.alpaca.render(Self.example)
        XCTAssertEqual(prompt, "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n1+1\n\n### Response:\n")
        XCTAssertEqual(response, "2")
        var noInput = Self.example
        noInput.input = ""
        XCTAssertEqual(PromptFormat.alpaca.render(noInput).prompt,
                       "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Response:\n")
        XCTAssertEqual(PromptFormat.alpaca.name, "alpaca")
    }

    func testChatTemplates() throws {
        let chatML = PromptFormat.chat(.chatML())
        XCTAssertEqual(chatML.render(Self.example).prompt, "<|im_start|>user\nAdd.\n\n1+1<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(chatML.name, "chat:chatml")
        let withSystem = PromptFormat.chat(.chatML(systemPrompt: "Be brief."))
        XCTAssertTrue(withSystem.render(Self.example).prompt.hasPrefix("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"))
        let llama = PromptFormat.chat(.llama2(systemPrompt: "Be brief."))
        XCTAssertEqual(llama.render(Self.example).prompt, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nAdd.\n\n1+1 [/INST] ")
        XCTAssertEqual(try PromptFormat.named("llama2").name, "chat:llama2")
        XCTAssertThrowsError(try PromptFormat.named("vicuna"))
        let custom = ChatTemplate(name: "plain") { _, user in "Q: \(user)\nA: " }
        XCTAssertEqual(PromptFormat.chat(custom).render(Self.example).prompt, "Q: Add.\n\n1+1\nA: ")
    }

    func testPromptTokensAreMaskedAndEOSIsAppended() throws {
        let format = PromptFormat.chat(ChatTemplate(name: "bare") { _, user in user + "=" })
        let tokenizer = try ExampleTokenizer(format: format, eosID: Self.eos, bosID: 1, tokenize: Self.charTokenizer)
        let t = tokenizer(Self.example)
        // BOS + "Add.\n\n1+1=" (10 chars) are the prompt; "2" + EOS the response.
        XCTAssertEqual(t.promptTokenCount, 11)
        XCTAssertEqual(t.inputIDs, [1] + Self.charTokenizer("Add.\n\n1+1=") + [50, 0])
        XCTAssertEqual(t.labels, [Int](repeating: -100, count: 11) + [50, 0])
        XCTAssertEqual(t.responseTokenCount, 2)
        XCTAssertFalse(t.truncated)
        XCTAssertEqual(t.exampleID, "t:f:1")
    }

    func testTruncationIsCountedAndKeepsTheFirstTokens() throws {
        let format = PromptFormat.chat(ChatTemplate(name: "bare") { _, user in user })
        let long = TrainingExample(id: "t:f:2", instruction: "abc", input: "", output: "defgh", task: "t", cluster: "c")
        let veryLong = TrainingExample(id: "t:f:3", instruction: "abcdefghij", input: "", output: "k", task: "t", cluster: "c")
        let short = TrainingExample(id: "t:f:4", instruction: "a", input: "", output: "b", task: "t", cluster: "c")
        let tokenizer = try ExampleTokenizer(format: format, maxLength: 6, eosID: Self.eos, tokenize: Self.charTokenizer)
        let (out, report) = tokenizer.tokenizeAll([long, veryLong, short])
        XCTAssertEqual(out.map(\.inputIDs.count), [6, 6, 3])
        XCTAssertEqual(out[0].labels, [-100, -100, -100] + Self.charTokenizer("def"), "response cut, EOS lost")
        XCTAssertEqual(out[1].responseTokenCount, 0, "prompt alone fills the window")
        XCTAssertEqual(report.total, 3)
        XCTAssertEqual(report.truncated, 2)
        XCTAssertEqual(report.withoutResponseTokens, 1)
        XCTAssertEqual(report.description, "2 of 3 examples truncated to 6 tokens (1 left without response tokens)")
        XCTAssertEqual(ExampleTokenizer.defaultMaxLength, 512)
        XCTAssertThrowsError(try ExampleTokenizer(format: format, maxLength: 1, eosID: 0, tokenize: Self.charTokenizer))
    }
}
