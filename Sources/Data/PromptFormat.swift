import Foundation

/// How an example becomes text: a prompt (masked out of the loss) and a response (the target).
///
/// Alpaca-style prompts for base models, the model's own chat template for instruct models
/// (SmolLM2-Instruct uses ChatML): each model sees prompts in the format it was tuned on. The
/// choice is recorded via `name`.
public enum PromptFormat: Sendable {
    case alpaca
    case chat(ChatTemplate)

    /// A stable name for run records ("alpaca", "chat:chatml", "chat:llama2").
    public var name: String {
        switch self {
        case .alpaca: return "alpaca"
        case .chat(let template): return "chat:\(template.name)"
        }
    }

    /// The prompt and the response strings. The response is the bare target: the end of the
    /// turn is the EOS token the tokenizer step appends (for ChatML that is `<|im_end|>` when
    /// the caller passes its id as `eosID`).
    public func render(_ example: TrainingExample) -> (prompt: String, response: String) {
        switch self {
        case .alpaca:
            return (Self.alpacaPrompt(instruction: example.instruction, input: example.input), example.output)
        case .chat(let template):
            let user = example.input.isEmpty ? example.instruction : example.instruction + "\n\n" + example.input
            return (template.render(template.systemPrompt, user), example.output)
        }
    }

    /// The Stanford Alpaca template (Taori et al., 2023), with and without input.
    public static func alpacaPrompt(instruction: String, input: String) -> String {
        if input.isEmpty {
            return "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\n\(instruction)\n\n### Response:\n"
        }
        return "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n\(instruction)\n\n### Input:\n\(input)\n\n### Response:\n"
    }

    /// Parses a CLI name ("alpaca", "chatml", "llama2", or the `chat:` forms).
    public static func named(_ name: String) throws -> PromptFormat {
        switch name.lowercased() {
        case "alpaca": return .alpaca
        case "chatml", "chat:chatml": return .chat(.chatML())
        case "llama2", "chat:llama2": return .chat(.llama2())
        default: throw DataError.invalidParameter("unknown prompt format '\(name)'; valid: alpaca, chatml, llama2")
        }
    }
}

/// A chat template as a value: a name and a formatter from (system prompt, user message) to the
/// prompt text that ends where the assistant's reply begins. Callers with the model's own
/// template (e.g. read from its tokenizer config) supply `render`; ChatML and LLaMA-2 are built in.
public struct ChatTemplate: Sendable {
    public let name: String
    public let systemPrompt: String?
    public let render: @Sendable (_ system: String?, _ user: String) -> String

    public init(name: String, systemPrompt: String? = nil, render: @escaping @Sendable (_ system: String?, _ user: String) -> String) {
        self.name = name
        self.systemPrompt = systemPrompt
        self.render = render
    }

    /// ChatML (SmolLM2-Instruct, Qwen): `<|im_start|>role\n…<|im_end|>\n`, ending with the
    /// opened assistant turn.
    public static func chatML(systemPrompt: String? = nil) -> ChatTemplate {
        ChatTemplate(name: "chatml", systemPrompt: systemPrompt) { system, user in
            var s = ""
            if let system { s += "<|im_start|>system\n\(system)<|im_end|>\n" }
            return s + "<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n"
        }
    }

    /// LLaMA-2-chat: `[INST] <<SYS>>\n…\n<</SYS>>\n\n… [/INST]`; the reply follows after a space.
    /// BOS is the tokenizer step's job (`bosID`), not part of the text.
    public static func llama2(systemPrompt: String? = nil) -> ChatTemplate {
        ChatTemplate(name: "llama2", systemPrompt: systemPrompt) { system, user in
            let body = system.map { "<<SYS>>\n\($0)\n<</SYS>>\n\n\(user)" } ?? user
            return "[INST] \(body) [/INST] "
        }
    }
}
