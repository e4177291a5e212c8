import Foundation

extension TokenizerVocabulary {
    /// The tokenizer stored in a GGUF file's `tokenizer.*` metadata, as llama.cpp reads it.
    public init(gguf: GGUFFile) throws {
        let file = gguf.url.path
        let meta = gguf.metadata
        func strings(_ key: String) throws -> [String]? {
            guard let value = meta[key] else { return nil }
            guard let items = value.array else {
                throw TokenizerError.malformed(file: file, field: key, reason: "is \(value.typeName), expected an array of strings")
            }
            let out = items.compactMap(\.string)
            guard out.count == items.count else {
                throw TokenizerError.malformed(file: file, field: key, reason: "holds non-string elements")
            }
            return out
        }
        func numbers<T>(_ key: String, _ convert: (GGUFValue) -> T?) throws -> [T]? {
            guard let value = meta[key] else { return nil }
            guard let items = value.array else {
                throw TokenizerError.malformed(file: file, field: key, reason: "is \(value.typeName), expected an array")
            }
            let out = items.compactMap(convert)
            guard out.count == items.count else {
                throw TokenizerError.malformed(file: file, field: key, reason: "holds elements of the wrong type")
            }
            return out
        }
        func int(_ key: String) throws -> Int? {
            guard let value = meta[key] else { return nil }
            guard let v = value.int else {
                throw TokenizerError.malformed(file: file, field: key, reason: "is \(value.typeName), expected an integer")
            }
            return v
        }
        func bool(_ key: String) -> Bool? { meta[key]?.bool ?? meta[key]?.int.map { $0 != 0 } }

        guard let modelName = meta["tokenizer.ggml.model"]?.string else {
            throw TokenizerError.missingField(file: file, field: "tokenizer.ggml.model")
        }
        let model: TokenizerModelKind
        switch modelName {
        case "gpt2": model = .gpt2
        case "llama": model = .llama
        default: throw TokenizerError.unsupportedModel(file: file, field: "tokenizer.ggml.model", value: modelName)
        }
        var pre = PreTokenizerKind.gpt2
        if model == .gpt2, let preName = meta["tokenizer.ggml.pre"]?.string {
            guard let kind = PreTokenizerKind(ggufName: preName) else {
                throw TokenizerError.unsupportedPreTokenizer(file: file, field: "tokenizer.ggml.pre", value: preName)
            }
            pre = kind
        }
        guard let tokens = try strings("tokenizer.ggml.tokens") else {
            throw TokenizerError.missingField(file: file, field: "tokenizer.ggml.tokens")
        }
        let scores = try numbers("tokenizer.ggml.scores") { $0.float }
        let types = try numbers("tokenizer.ggml.token_type") { $0.int.map { Int32(truncatingIfNeeded: $0) } }
        // The key is required for byte-level BPE (llama.cpp rejects a gpt2 vocabulary without it), but
        // an empty list is valid: a pure byte vocabulary, like the tiny fixture model's, merges nothing.
        let mergeList = try strings("tokenizer.ggml.merges")
        let merges = mergeList ?? []
        if model == .gpt2 && mergeList == nil {
            throw TokenizerError.missingField(file: file, field: "tokenizer.ggml.merges (required by the gpt2 byte-level BPE model)")
        }
        for (key, list) in [("tokenizer.ggml.scores", scores?.count), ("tokenizer.ggml.token_type", types?.count)] {
            if let n = list, n != tokens.count {
                throw TokenizerError.malformed(file: file, field: key, reason: "\(n) entries for \(tokens.count) tokens")
            }
        }
        // llama.cpp's defaults when the flags are absent: SentencePiece and LLaMA-3 add BOS.
        let addBOS = bool("tokenizer.ggml.add_bos_token") ?? (model == .llama || pre == .llamaBPE)
        self.init(tokens: tokens, scores: scores, tokenTypes: types, merges: merges, model: model, preTokenizer: pre,
                  bosId: try int("tokenizer.ggml.bos_token_id"), eosId: try int("tokenizer.ggml.eos_token_id"),
                  unknownId: try int("tokenizer.ggml.unknown_token_id"), paddingId: try int("tokenizer.ggml.padding_token_id"),
                  addBOS: addBOS, addEOS: bool("tokenizer.ggml.add_eos_token") ?? false,
                  addSpacePrefix: bool("tokenizer.ggml.add_space_prefix") ?? (model == .llama),
                  ignoreMerges: pre == .llamaBPE,
                  chatTemplate: meta["tokenizer.chat_template"]?.string, source: file)
    }
}

extension Tokenizer {
    /// The tokenizer of a GGUF model file.
    public static func fromGGUF(_ gguf: GGUFFile) throws -> Tokenizer {
        try Tokenizer(TokenizerVocabulary(gguf: gguf))
    }

    public static func fromGGUF(url: URL) throws -> Tokenizer {
        try fromGGUF(GGUFFile(url: url))
    }
}
