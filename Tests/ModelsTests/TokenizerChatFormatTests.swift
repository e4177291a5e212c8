import XCTest
import Models

final class TokenizerChatFormatTests: XCTestCase {
    static let smolLM2Template = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    func testChatMLWithDefaultSystemMessage() {
        let format = ChatFormat(template: TokenizerChatFormatTests.smolLM2Template)
        XCTAssertEqual(format, .chatML(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        XCTAssertEqual(format?.format([(role: "user", content: "What is 2+2?")]),
                       "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                       + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n")
        // An explicit system message replaces the default.
        XCTAssertEqual(format?.format([(role: "system", content: "Be brief."), (role: "user", content: "Hi")], addGenerationPrompt: false),
                       "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    func testChatMLWithoutDefaultAndEscapedNewlines() {
        // Templates written with "\n" escapes inside Jinja strings (as some JSON configs show them).
        let template = #"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"#
        XCTAssertEqual(ChatFormat(template: template), .chatML(defaultSystem: nil))
        let withDefault = #"{{ '<|im_start|>system\nYou are Qwen.<|im_end|>\n' }}{{ '<|im_start|>' + m + '<|im_end|>' }}"#
        XCTAssertEqual(ChatFormat(template: withDefault), .chatML(defaultSystem: "You are Qwen."))
    }

    func testLlama2Instructions() {
        let template = "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] %}{% endif %}{{ bos_token + '[INST] ' + content + ' [/INST]' }}"
        guard let format = ChatFormat(template: template) else { return XCTFail("LLaMA-2 template not recognised") }
        XCTAssertEqual(format, .llama2(bos: "<s>", eos: "</s>"))
        XCTAssertEqual(format.format([(role: "system", content: "Be brief."), (role: "user", content: "Hi"),
                                      (role: "assistant", content: "Hello."), (role: "user", content: "Bye")]),
                       "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]")
    }

    func testUnknownTemplatesAreReported() {
        XCTAssertNil(ChatFormat(template: nil))
        XCTAssertNil(ChatFormat(template: "{{ '### Instruction:\\n' + message['content'] }}"))
    }
}
