/// Every way building or using a tokenizer can fail, each naming the file/field or value at fault.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unsupportedModel(file: String, field: String, value: String)
    case unsupportedPreTokenizer(file: String, field: String, value: String)
    case malformed(file: String, field: String, reason: String)
    case missingField(file: String, field: String)
    case unreadable(file: String, reason: String)
    case tokenIdOutOfRange(id: Int, vocabularySize: Int)

    public var description: String {
        switch self {
        case let .unsupportedModel(file, field, value):
            return "\(file): \(field) = '\(value)' is not a supported tokenizer model (supported: gpt2 byte-level BPE, llama SentencePiece BPE)"
        case let .unsupportedPreTokenizer(file, field, value):
            return "\(file): \(field) = '\(value)' is not a supported pre-tokenizer (supported: default/gpt2, smollm, llama-bpe)"
        case let .malformed(file, field, reason): return "\(file): \(field) is malformed: \(reason)"
        case let .missingField(file, field): return "\(file): missing \(field)"
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .tokenIdOutOfRange(id, size): return "token id \(id) is outside the vocabulary 0..<\(size)"
        }
    }
}
