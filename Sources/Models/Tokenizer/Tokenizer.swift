/// Text ⇄ token ids for byte-level BPE (GPT-2, SmolLM, LLaMA-3) and SentencePiece BPE (LLaMA-2)
/// vocabularies. Build one from a `TokenizerVocabulary`, `Tokenizer.fromGGUF` or
/// `Tokenizer.fromHuggingFace`. Safe to share between threads (the word cache is locked).
///
/// `decode` throws `TokenizerError.tokenIdOutOfRange` for ids outside the vocabulary rather than
/// guessing, since such an id means the caller mixed up models or read garbage.
public final class Tokenizer: @unchecked Sendable {
    public let vocabulary: TokenizerVocabulary
    private let tokenIds: [String: Int32]
    private let specials: SpecialTokenMatcher
    private let bytePairEncoder: BytePairEncoder?
    private let sentencePieceEncoder: SentencePieceEncoder?
    /// What each token contributes to decoded text, flattened: bytes of id i are
    /// `pieceBytes[pieceOffsets[i]..<pieceOffsets[i + 1]]`.
    private let pieceBytes: [UInt8]
    private let pieceOffsets: [Int]
    /// Matched whole in text and rendered verbatim (control, user-defined, unknown types).
    private let special: [Bool]

    public var vocabularySize: Int { vocabulary.tokens.count }
    public var bosId: Int? { vocabulary.bosId }
    public var eosId: Int? { vocabulary.eosId }
    public var paddingId: Int? { vocabulary.paddingId }
    public var unknownId: Int? { vocabulary.unknownId }
    /// Whether `encode(_, addSpecial: true)` starts with BOS.
    public var addsBOS: Bool { vocabulary.addBOS && vocabulary.bosId != nil }
    public var addsEOS: Bool { vocabulary.addEOS && vocabulary.eosId != nil }

    public init(_ vocabulary: TokenizerVocabulary) throws {
        let count = vocabulary.tokens.count
        let file = vocabulary.source
        guard count > 0 else { throw TokenizerError.malformed(file: file, field: "tokens", reason: "the vocabulary is empty") }
        if let types = vocabulary.tokenTypes, types.count != count {
            throw TokenizerError.malformed(file: file, field: "token types", reason: "\(types.count) types for \(count) tokens")
        }
        for (field, id) in [("bos id", vocabulary.bosId), ("eos id", vocabulary.eosId),
                            ("unknown id", vocabulary.unknownId), ("padding id", vocabulary.paddingId)] {
            if let id, id < 0 || id >= count {
                throw TokenizerError.malformed(file: file, field: field, reason: "\(id) is outside the vocabulary 0..<\(count)")
            }
        }
        self.vocabulary = vocabulary
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(count)
        // Later duplicates win, as in llama.cpp's token_to_id.
        for (i, t) in vocabulary.tokens.enumerated() { ids[t] = Int32(i) }
        tokenIds = ids
        specials = SpecialTokenMatcher(vocabulary: vocabulary)
        switch vocabulary.model {
        case .gpt2:
            bytePairEncoder = try BytePairEncoder(vocabulary: vocabulary, tokenIds: ids)
            sentencePieceEncoder = nil
        case .llama:
            bytePairEncoder = nil
            sentencePieceEncoder = try SentencePieceEncoder(vocabulary: vocabulary, tokenIds: ids)
        }
        var bytes: [UInt8] = []
        var offsets: [Int] = [0]
        var isSpecial: [Bool] = []
        offsets.reserveCapacity(count + 1)
        for (i, text) in vocabulary.tokens.enumerated() {
            let type = vocabulary.tokenType(i)
            let verbatim = vocabulary.isSpecial(i)
            isSpecial.append(verbatim)
            if verbatim {
                bytes.append(contentsOf: text.utf8)
            } else if vocabulary.model == .gpt2 {
                bytes.append(contentsOf: ByteLevelAlphabet.decode(text) ?? Array(text.utf8))
            } else if let b = Tokenizer.byteTokenValue(text), type == .byte || type == .normal || type == .undefined {
                bytes.append(b)
            } else {
                for s in text.unicodeScalars {
                    if s == "\u{2581}" { bytes.append(0x20) } else { bytes.append(contentsOf: String(s).utf8) }
                }
            }
            offsets.append(bytes.count)
        }
        pieceBytes = bytes
        pieceOffsets = offsets
        special = isSpecial
    }

    /// "<0x41>" → 0x41.
    static func byteTokenValue(_ text: String) -> UInt8? {
        let u = Array(text.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
    }

    /// Token ids for `text`. `addSpecial` adds BOS/EOS as the vocabulary asks (`addsBOS`);
    /// `parseSpecial` turns control-token text such as "<|im_start|>" into its single id
    /// (user-defined tokens are always matched, as in llama.cpp and Hugging Face).
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int] {
        encodeIds(text, addSpecial: addSpecial, parseSpecial: parseSpecial).map { Int($0) }
    }

    /// As `encode`, as Int32 (the width models store).
    public func encodeIds(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        let bytes = Array(text.utf8)
        let fragments = specials.split(bytes, includeControl: parseSpecial)
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial && addsBOS, let bos = bosId { output.append(Int32(bos)) }
        if let bpe = bytePairEncoder {
            encodeByteLevel(bytes, fragments, bpe, into: &output)
        } else if let spm = sentencePieceEncoder {
            encodeSentencePiece(bytes, fragments, spm, into: &output)
        }
        if addSpecial && addsEOS, let eos = eosId { output.append(Int32(eos)) }
        return output
    }

    private func encodeByteLevel(_ bytes: [UInt8], _ fragments: [SpecialTokenMatcher.Fragment],
                                 _ bpe: BytePairEncoder, into output: inout [Int32]) {
        var text = ScalarText()
        var pieces: [Range<Int>] = []
        var scratch = BytePairEncoder.Scratch()
        for fragment in fragments {
            switch fragment {
            case let .token(id): output.append(id)
            case let .text(range):
                text.load(bytes[range])
                pieces.removeAll(keepingCapacity: true)
                PreTokenizer.split(text, kind: vocabulary.preTokenizer, into: &pieces)
                text.bytes.withUnsafeBufferPointer { buf in
                    for piece in pieces {
                        let lo = Int(text.byteOffsets[piece.lowerBound]), hi = Int(text.byteOffsets[piece.upperBound])
                        bpe.encode(UnsafeBufferPointer(rebasing: buf[lo..<hi]), into: &output, scratch: &scratch)
                    }
                }
            }
        }
    }

    /// llama.cpp's SPM path: each text run gets the dummy-prefix space when it starts the text or
    /// follows a special token, spaces become "▁", then SentencePiece BPE.
    private func encodeSentencePiece(_ bytes: [UInt8], _ fragments: [SpecialTokenMatcher.Fragment],
                                     _ spm: SentencePieceEncoder, into output: inout [Int32]) {
        var afterSpecial = true
        for fragment in fragments {
            switch fragment {
            case let .token(id):
                output.append(id)
                afterSpecial = true
            case let .text(range):
                var normalized = String.UnicodeScalarView()
                if vocabulary.addSpacePrefix && afterSpecial { normalized.append("\u{2581}") }
                for s in String(decoding: bytes[range], as: UTF8.self).unicodeScalars {
                    normalized.append(s == " " ? "\u{2581}" : s)
                }
                spm.encode(normalized: String(normalized), into: &output)
                afterSpecial = false
            }
        }
    }

    /// The text of `ids`. Special tokens are rendered as their text unless `skipSpecial` (which
    /// drops control tokens such as BOS/EOS). SentencePiece models drop the dummy-prefix space at
    /// the start and after each special token, mirroring `encode`, so decode(encode(t)) == t.
    /// Throws `TokenizerError.tokenIdOutOfRange` for an id outside the vocabulary.
    public func decode(_ ids: [Int], skipSpecial: Bool = false) throws -> String {
        String(decoding: try decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    /// The raw bytes of `ids` (see `decode`); partial UTF-8 sequences stay intact, for streaming.
    public func decodeBytes(_ ids: [Int], skipSpecial: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 4)
        let stripsPrefix = vocabulary.model == .llama && vocabulary.addSpacePrefix
        var atRunStart = stripsPrefix
        for id in ids {
            guard id >= 0 && id < special.count else {
                throw TokenizerError.tokenIdOutOfRange(id: id, vocabularySize: special.count)
            }
            var lo = pieceOffsets[id]
            let hi = pieceOffsets[id + 1]
            if special[id] {
                if skipSpecial && vocabulary.tokenType(id) == .control { continue }
                out.append(contentsOf: pieceBytes[lo..<hi])
                atRunStart = stripsPrefix
                continue
            }
            if atRunStart {
                if lo < hi && pieceBytes[lo] == 0x20 { lo += 1 }
                atRunStart = false
            }
            out.append(contentsOf: pieceBytes[lo..<hi])
        }
        return out
    }

    /// The vocabulary entry for `id` as stored (e.g. "Ġworld", "▁the", "<0x0A>"), or nil if out of range.
    public func tokenString(_ id: Int) -> String? {
        id >= 0 && id < vocabulary.tokens.count ? vocabulary.tokens[id] : nil
    }

    /// What `id` contributes to decoded text, without any prefix stripping (for streaming output).
    public func tokenBytes(_ id: Int) throws -> [UInt8] {
        guard id >= 0 && id < special.count else {
            throw TokenizerError.tokenIdOutOfRange(id: id, vocabularySize: special.count)
        }
        return Array(pieceBytes[pieceOffsets[id]..<pieceOffsets[id + 1]])
    }

    /// The id of a vocabulary entry spelled exactly `text` (e.g. "<|im_end|>"), if any.
    public func tokenId(_ text: String) -> Int? { tokenIds[text].map { Int($0) } }

    /// Whether `id` is a special token (control, user-defined or unknown type).
    public func isSpecial(_ id: Int) -> Bool { id >= 0 && id < special.count && special[id] }
}
