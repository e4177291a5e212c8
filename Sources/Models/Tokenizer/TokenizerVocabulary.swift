/// Which segmentation algorithm turns pre-tokens into ids.
public enum TokenizerModelKind: String, Sendable, CaseIterable {
    /// GPT-2 style byte-level BPE: bytes are mapped to printable characters, merges are ranked by order.
    case gpt2
    /// SentencePiece BPE as in LLaMA-1/2: spaces become "▁", merges pick the best-scoring piece,
    /// unknown characters fall back to `<0xXX>` byte tokens.
    case llama
}

/// How text is split into pre-tokens before BPE runs on each of them (byte-level models only).
public enum PreTokenizerKind: String, Sendable, CaseIterable {
    /// The GPT-2 regex `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM: every `\p{N}` scalar is its own piece first, then the GPT-2 regex on what is between.
    case smollm
    /// LLaMA-3: case-insensitive contractions, letters with one leading non-letter, digits in
    /// groups of up to three, punctuation runs that swallow following newlines.
    case llamaBPE = "llama-bpe"

    /// The kind named by a GGUF `tokenizer.ggml.pre` value; llama.cpp spells GPT-2 as "default" or "gpt2".
    public init?(ggufName: String) {
        switch ggufName {
        case "default", "gpt2", "gpt-2": self = .gpt2
        case "smollm": self = .smollm
        case "llama-bpe", "llama3", "llama-v3": self = .llamaBPE
        default: return nil
        }
    }
}

/// GGUF `tokenizer.ggml.token_type` values (llama.cpp's llama_token_type).
public enum TokenType: Int32, Sendable {
    case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

/// Everything a tokenizer needs, independent of the file it came from.
public struct TokenizerVocabulary: Sendable {
    /// Token text by id; for byte-level models normal tokens are in the byte→unicode alphabet.
    public var tokens: [String]
    /// SentencePiece scores by id (higher merges first); required for `.llama`.
    public var scores: [Float]?
    /// `TokenType` raw values by id; nil means every token is normal.
    public var tokenTypes: [Int32]?
    /// BPE merges "left right" in priority order (first = merged first); used by `.gpt2`.
    public var merges: [String]
    public var model: TokenizerModelKind
    public var preTokenizer: PreTokenizerKind
    public var bosId: Int?
    public var eosId: Int?
    public var unknownId: Int?
    public var paddingId: Int?
    public var addBOS: Bool
    public var addEOS: Bool
    /// SentencePiece: prefix the text (and every text run after a special token) with a space.
    public var addSpacePrefix: Bool
    /// LLaMA-3 style: a pre-token that is itself a vocabulary entry is used whole, without merging.
    public var ignoreMerges: Bool
    public var chatTemplate: String?
    /// Where the vocabulary came from, used in error messages.
    public var source: String

    public init(tokens: [String], scores: [Float]? = nil, tokenTypes: [Int32]? = nil, merges: [String] = [],
                model: TokenizerModelKind, preTokenizer: PreTokenizerKind = .gpt2,
                bosId: Int? = nil, eosId: Int? = nil, unknownId: Int? = nil, paddingId: Int? = nil,
                addBOS: Bool = false, addEOS: Bool = false, addSpacePrefix: Bool = true,
                ignoreMerges: Bool = false, chatTemplate: String? = nil, source: String = "<memory>") {
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.model = model
        self.preTokenizer = preTokenizer
        self.bosId = bosId
        self.eosId = eosId
        self.unknownId = unknownId
        self.paddingId = paddingId
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.ignoreMerges = ignoreMerges
        self.chatTemplate = chatTemplate
        self.source = source
    }

    public func tokenType(_ id: Int) -> TokenType {
        guard let types = tokenTypes, id >= 0, id < types.count else { return .normal }
        return TokenType(rawValue: types[id]) ?? .normal
    }

    /// Control, user-defined and unknown-type tokens (e.g. "<|im_end|>", "<unk>") are matched whole
    /// inside text and rendered verbatim, as llama.cpp does.
    public func isSpecial(_ id: Int) -> Bool {
        let t = tokenType(id)
        return t == .control || t == .userDefined || t == .unknown
    }
}
