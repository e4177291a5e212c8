/// Finds special tokens (control, user-defined, unknown) inside raw text so they become their own
/// id instead of being spelled out. Matching is leftmost-longest, as Hugging Face's added-token
/// matcher does: at each byte the longest special token starting there wins. User-defined tokens
/// are matched even when control tokens are not (llama.cpp and HF treat them as ordinary words).
struct SpecialTokenMatcher {
    /// A stretch of the input: raw text to pre-tokenize (byte range), or one matched special token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    /// Candidates by first byte, longest first.
    private var byFirstByte: [[(bytes: [UInt8], id: Int32, isUserDefined: Bool)]]
    let isEmpty: Bool

    init(vocabulary: TokenizerVocabulary) {
        var table = [[(bytes: [UInt8], id: Int32, isUserDefined: Bool)]](repeating: [], count: 256)
        var any = false
        for (id, text) in vocabulary.tokens.enumerated() {
            let type = vocabulary.tokenType(id)
            guard vocabulary.isSpecial(id) else { continue }
            let bytes = Array(text.utf8)
            guard let first = bytes.first else { continue }
            table[Int(first)].append((bytes, Int32(id), type == .userDefined))
            any = true
        }
        for b in 0..<256 { table[b].sort { $0.bytes.count > $1.bytes.count } }
        byFirstByte = table
        isEmpty = !any
    }

    /// Splits `bytes` into text fragments and special-token fragments, in order; without
    /// `includeControl` only user-defined tokens are matched.
    func split(_ bytes: [UInt8], includeControl: Bool) -> [Fragment] {
        if isEmpty || bytes.isEmpty { return bytes.isEmpty ? [] : [.text(0..<bytes.count)] }
        var fragments: [Fragment] = []
        var textStart = 0
        var p = 0
        let n = bytes.count
        bytes.withUnsafeBufferPointer { buf in
            outer: while p < n {
                let candidates = byFirstByte[Int(buf[p])]
                if !candidates.isEmpty {
                    for cand in candidates where cand.bytes.count <= n - p && (includeControl || cand.isUserDefined) {
                        var same = true
                        for (q, b) in cand.bytes.enumerated() where buf[p + q] != b { same = false; break }
                        if same {
                            if textStart < p { fragments.append(.text(textStart..<p)) }
                            fragments.append(.token(cand.id))
                            p += cand.bytes.count
                            textStart = p
                            continue outer
                        }
                    }
                }
                p += 1
            }
        }
        if textStart < n { fragments.append(.text(textStart..<n)) }
        return fragments
    }
}
