import Foundation

/// Chat prompt formatting for the template families we meet, recognised from the model's
/// Jinja template string (full Jinja is not implemented):
///   - ChatML (`<|im_start|>role\n…<|im_end|>\n`, SmolLM2/Qwen), including a default system
///     message the template inserts when the conversation has none;
///   - LLaMA-2 (`<s>[INST] <<SYS>>\n…\n<</SYS>>\n\nuser [/INST] assistant </s>`).
/// `ChatFormat(template:)` returns nil for anything else, so callers can fall back to Alpaca-style prompts.
public enum ChatFormat: Equatable, Sendable {
    case chatML(defaultSystem: String?)
    case llama2(bos: String, eos: String)

    public struct Message: Equatable, Sendable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    public init?(template: String?, bos: String = "<s>", eos: String = "</s>") {
        guard let template else { return nil }
        if template.contains("<|im_start|>") && template.contains("<|im_end|>") {
            self = .chatML(defaultSystem: ChatFormat.chatMLDefaultSystem(template))
        } else if template.contains("[INST]") && template.contains("[/INST]") {
            self = .llama2(bos: bos, eos: eos)
        } else {
            return nil
        }
    }

    /// The literal system message in `'<|im_start|>system\n…<|im_end|>` inside the template, if any
    /// (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    static func chatMLDefaultSystem(_ template: String) -> String? {
        for opener in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            guard let start = template.range(of: opener),
                  let end = template.range(of: "<|im_end|>", range: start.upperBound..<template.endIndex) else { continue }
            let text = String(template[start.upperBound..<end.lowerBound])
            // A Jinja expression (e.g. `' + message['content'] + '`) is not a literal default.
            if text.contains("'") || text.contains("{{") || text.contains("+") { continue }
            return text.replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }

    /// The prompt text for `messages`; with `addGenerationPrompt` it ends where the assistant's
    /// reply should begin (LLaMA-2 prompts always end after `[/INST]`). Encode it with special-token
    /// parsing on, and with `addSpecial: false` for LLaMA-2, whose text already spells out BOS.
    public func format(_ messages: [Message], addGenerationPrompt: Bool = true) -> String {
        switch self {
        case let .chatML(defaultSystem):
            var out = ""
            if let system = defaultSystem, messages.first?.role != "system" {
                out += "<|im_start|>system\n\(system)<|im_end|>\n"
            }
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
            return out
        case let .llama2(bos, eos):
            var out = ""
            var pendingSystem: String? = nil
            for m in messages {
                switch m.role {
                case "system":
                    pendingSystem = m.content
                case "user":
                    var user = m.content
                    if let system = pendingSystem {
                        user = "<<SYS>>\n\(system)\n<</SYS>>\n\n" + user
                        pendingSystem = nil
                    }
                    out += "\(bos)[INST] \(user.trimmingSpaces()) [/INST]"
                default:  // assistant
                    out += " \(m.content.trimmingSpaces()) \(eos)"
                }
            }
            return out
        }
    }

    public func format(_ messages: [(role: String, content: String)], addGenerationPrompt: Bool = true) -> String {
        format(messages.map { Message(role: $0.role, content: $0.content) }, addGenerationPrompt: addGenerationPrompt)
    }
}

extension Tokenizer {
    /// The chat format recognised from the model's template, or nil (fall back to plain prompts).
    public var chatFormat: ChatFormat? {
        let bos = bosId.flatMap(tokenString) ?? "<s>"
        let eos = eosId.flatMap(tokenString) ?? "</s>"
        return ChatFormat(template: vocabulary.chatTemplate, bos: bos, eos: eos)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}
