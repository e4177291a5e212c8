import Foundation

/// Reads a Hugging Face `tokenizer.json` (model type BPE) and, if present, `tokenizer_config.json`
/// for BOS/EOS, add_bos/add_eos and the chat template. Supported shapes, mapped to our kinds:
///   - byte-level: pre_tokenizer `ByteLevel(use_regex)` → gpt2, `Sequence[Digits(individual_digits),
///     ByteLevel]` → smollm, `Sequence[Split(<GPT-2 or LLaMA-3 regex>), ByteLevel(use_regex: false)]`;
///   - SentencePiece-style (LLaMA-2): normalizer `Sequence[Prepend("▁"), Replace(" ", "▁")]`, no
///     pre_tokenizer, `byte_fallback`; scores are derived from merge order (a converted SentencePiece
///     model lists merges in score order), so the llama SentencePiece algorithm reproduces it.
/// Anything else is refused with an error naming the file and the field.
enum HuggingFaceTokenizerJSON {
    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    static func vocabulary(tokenizerJSON url: URL, config configURL: URL?) throws -> TokenizerVocabulary {
        let file = url.path
        let root = try readObject(url)
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.missingField(file: file, field: "model")
        }
        let modelType = model["type"] as? String ?? "BPE"
        guard modelType == "BPE" else {
            throw TokenizerError.unsupportedModel(file: file, field: "model.type", value: modelType)
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.missingField(file: file, field: "model.vocab")
        }
        let merges = try readMerges(model["merges"], file: file)

        // Tokens by id: the BPE vocab plus added tokens (which may extend it).
        var byId: [Int: String] = [:]
        for (text, value) in vocab {
            guard let id = value as? Int, id >= 0 else {
                throw TokenizerError.malformed(file: file, field: "model.vocab[\"\(text)\"]", reason: "id is not a non-negative integer")
            }
            byId[id] = text
        }
        var specialIds: [Int: Bool] = [:]  // id → `special` flag
        for (i, entry) in ((root["added_tokens"] as? [[String: Any]]) ?? []).enumerated() {
            guard let id = entry["id"] as? Int, id >= 0, let content = entry["content"] as? String else {
                throw TokenizerError.malformed(file: file, field: "added_tokens[\(i)]", reason: "needs an integer id and a content string")
            }
            byId[id] = content
            specialIds[id] = entry["special"] as? Bool ?? true
        }
        let count = (byId.keys.max() ?? -1) + 1
        var tokens: [String] = []
        tokens.reserveCapacity(count)
        for id in 0..<count {
            guard let t = byId[id] else {
                throw TokenizerError.malformed(file: file, field: "model.vocab", reason: "no token has id \(id) (ids must be dense 0..<\(count))")
            }
            tokens.append(t)
        }
        let types: [Int32] = (0..<count).map { id in
            guard let special = specialIds[id] else { return TokenType.normal.rawValue }
            return special ? TokenType.control.rawValue : TokenType.userDefined.rawValue
        }

        let (kind, pre) = try modelKind(root, file: file)
        var scores: [Float]? = nil
        if kind == .llama {
            // Score = minus the rank of the first merge producing the piece: SentencePiece's order.
            var s = [Float](repeating: -1e9, count: count)
            var ids: [String: Int] = [:]
            for (i, t) in tokens.enumerated() { ids[t] = i }
            for (rank, merge) in merges.enumerated() {
                let parts = merge.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, let id = ids[String(parts[0]) + String(parts[1])] else { continue }
                s[id] = max(s[id], -Float(rank))
            }
            scores = s
        }
        var vocabulary = TokenizerVocabulary(tokens: tokens, scores: scores, tokenTypes: types, merges: merges,
                                             model: kind, preTokenizer: pre, addBOS: false, addEOS: false,
                                             addSpacePrefix: kind == .llama,
                                             ignoreMerges: model["ignore_merges"] as? Bool ?? false, source: file)
        if let unk = model["unk_token"] as? String { vocabulary.unknownId = tokens.firstIndex(of: unk) }
        // Without a config, BOS comes from the post-processor template (e.g. `<s> $A`), which
        // LLaMA-3 nests in a Sequence after ByteLevel.
        if let processor = root["post_processor"] as? [String: Any] {
            let steps = processor["processors"] as? [[String: Any]] ?? [processor]
            for step in steps {
                guard let single = step["single"] as? [[String: Any]],
                      let first = single.first?["SpecialToken"] as? [String: Any], let name = first["id"] as? String,
                      let id = tokens.lastIndex(of: name) else { continue }
                vocabulary.bosId = id
                vocabulary.addBOS = true
            }
        }
        if let configURL, FileManager.default.fileExists(atPath: configURL.path) {
            try applyConfig(configURL, tokens: tokens, to: &vocabulary)
        }
        return vocabulary
    }

    static func readObject(_ url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.unreadable(file: url.path, reason: "not a JSON object")
        }
        return object
    }

    /// Merges as "a b" strings (older files) or ["a", "b"] pairs (tokenizers ≥ 0.20).
    static func readMerges(_ value: Any?, file: String) throws -> [String] {
        guard let list = value as? [Any] else { throw TokenizerError.missingField(file: file, field: "model.merges") }
        return try list.enumerated().map { i, item in
            if let s = item as? String { return s }
            if let pair = item as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            throw TokenizerError.malformed(file: file, field: "model.merges[\(i)]", reason: "expected \"a b\" or [\"a\", \"b\"]")
        }
    }

    /// Maps normalizer + pre_tokenizer to a model and pre-tokenizer kind, or refuses.
    static func modelKind(_ root: [String: Any], file: String) throws -> (TokenizerModelKind, PreTokenizerKind) {
        let pre = root["pre_tokenizer"] as? [String: Any]
        if pre == nil {
            guard isSentencePieceNormalizer(root["normalizer"]) else {
                let described = describe(root["normalizer"])
                throw TokenizerError.unsupportedPreTokenizer(file: file, field: "pre_tokenizer (null, with normalizer \(described))", value: "null")
            }
            return (.llama, .gpt2)
        }
        let type = pre!["type"] as? String ?? "?"
        switch type {
        case "ByteLevel":
            try requireByteLevel(pre!, useRegex: true, file: file, field: "pre_tokenizer")
            return (.gpt2, .gpt2)
        case "Sequence":
            let steps = pre!["pretokenizers"] as? [[String: Any]] ?? []
            let types = steps.map { $0["type"] as? String ?? "?" }
            if types == ["Digits", "ByteLevel"] {
                guard steps[0]["individual_digits"] as? Bool == true else {
                    throw TokenizerError.unsupportedPreTokenizer(file: file, field: "pre_tokenizer.pretokenizers[0].individual_digits", value: "false")
                }
                try requireByteLevel(steps[1], useRegex: true, file: file, field: "pre_tokenizer.pretokenizers[1]")
                return (.gpt2, .smollm)
            }
            if types == ["Split", "ByteLevel"] {
                let pattern = (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String ?? describe(steps[0]["pattern"])
                try requireByteLevel(steps[1], useRegex: false, file: file, field: "pre_tokenizer.pretokenizers[1]")
                switch pattern {
                case llama3Regex: return (.gpt2, .llamaBPE)
                case gpt2Regex: return (.gpt2, .gpt2)
                default: throw TokenizerError.unsupportedPreTokenizer(file: file, field: "pre_tokenizer.pretokenizers[0].pattern", value: pattern)
                }
            }
            throw TokenizerError.unsupportedPreTokenizer(file: file, field: "pre_tokenizer", value: "Sequence[\(types.joined(separator: ", "))]")
        default:
            throw TokenizerError.unsupportedPreTokenizer(file: file, field: "pre_tokenizer.type", value: type)
        }
    }

    static func requireByteLevel(_ step: [String: Any], useRegex: Bool, file: String, field: String) throws {
        if step["add_prefix_space"] as? Bool == true {
            throw TokenizerError.unsupportedPreTokenizer(file: file, field: field + ".add_prefix_space", value: "true")
        }
        let regex = step["use_regex"] as? Bool ?? true
        if regex != useRegex {
            throw TokenizerError.unsupportedPreTokenizer(file: file, field: field + ".use_regex", value: "\(regex)")
        }
    }

    /// LLaMA-2's `Sequence[Prepend("▁"), Replace(" " → "▁")]`.
    static func isSentencePieceNormalizer(_ value: Any?) -> Bool {
        guard let n = value as? [String: Any], n["type"] as? String == "Sequence",
              let steps = n["normalizers"] as? [[String: Any]], steps.count == 2 else { return false }
        let prepend = steps[0]["type"] as? String == "Prepend" && steps[0]["prepend"] as? String == "\u{2581}"
        let pattern = (steps[1]["pattern"] as? [String: Any])?["String"] as? String
        let replace = steps[1]["type"] as? String == "Replace" && pattern == " " && steps[1]["content"] as? String == "\u{2581}"
        return prepend && replace
    }

    static func describe(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null" }
        if let d = value as? [String: Any], let t = d["type"] as? String { return t }
        return "\(value)"
    }

    /// BOS/EOS/PAD/UNK names, add_bos/add_eos and the chat template from tokenizer_config.json.
    static func applyConfig(_ url: URL, tokens: [String], to vocabulary: inout TokenizerVocabulary) throws {
        let config = try readObject(url)
        func tokenId(_ key: String) throws -> Int? {
            guard let value = config[key], !(value is NSNull) else { return nil }
            let name = value as? String ?? (value as? [String: Any])?["content"] as? String
            guard let name else {
                throw TokenizerError.malformed(file: url.path, field: key, reason: "expected a token string or {\"content\": …}")
            }
            guard let id = tokens.lastIndex(of: name) else {
                throw TokenizerError.malformed(file: url.path, field: key, reason: "'\(name)' is not in the vocabulary")
            }
            return id
        }
        if let id = try tokenId("bos_token") { vocabulary.bosId = id }
        if let id = try tokenId("eos_token") { vocabulary.eosId = id }
        if let id = try tokenId("pad_token") { vocabulary.paddingId = id }
        if let id = try tokenId("unk_token") { vocabulary.unknownId = id }
        if let add = config["add_bos_token"] as? Bool { vocabulary.addBOS = add }
        if let add = config["add_eos_token"] as? Bool { vocabulary.addEOS = add }
        if let template = config["chat_template"] as? String {
            vocabulary.chatTemplate = template
        } else if let named = config["chat_template"] as? [[String: Any]] {
            let pick = named.first { $0["name"] as? String == "default" } ?? named.first
            vocabulary.chatTemplate = pick?["template"] as? String
        }
    }
}

extension Tokenizer {
    /// The tokenizer of a Hugging Face model folder: `tokenizer.json` plus `tokenizer_config.json` if present.
    public static func fromHuggingFace(directory: URL) throws -> Tokenizer {
        try fromHuggingFace(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"),
                            config: directory.appendingPathComponent("tokenizer_config.json"))
    }

    public static func fromHuggingFace(tokenizerJSON: URL, config: URL? = nil) throws -> Tokenizer {
        try Tokenizer(HuggingFaceTokenizerJSON.vocabulary(tokenizerJSON: tokenizerJSON, config: config))
    }
}
