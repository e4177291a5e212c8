/// Hand-written scanners equivalent to the pre-tokenizer regexes (see `PreTokenizerKind`). They
/// append the scalar ranges of the pieces to `pieces`; every scalar lands in exactly one piece.
/// Written as scanners rather than NSRegularExpression for speed and so `\s+(?!\S)` and the
/// character classes behave exactly as in the reference (Oniguruma / llama.cpp) implementations.
enum PreTokenizer {
    static let apostrophe: UInt32 = 0x27
    static let space: UInt32 = 0x20

    static func split(_ text: ScalarText, kind: PreTokenizerKind, into pieces: inout [Range<Int>]) {
        let n = text.count
        text.scalars.withUnsafeBufferPointer { c in
            text.classes.withUnsafeBufferPointer { k in
                switch kind {
                case .gpt2: splitGPT2(c, k, 0, n, &pieces)
                case .smollm: splitSmolLM(c, k, 0, n, &pieces)
                case .llamaBPE: splitLlama3(c, k, 0, n, &pieces)
                }
            }
        }
    }

    /// Length of a contraction starting at the apostrophe `c[i]` ('s 't 'm 'd 're 've 'll), or 0.
    @inline(__always)
    static func contractionLength(_ c: UnsafeBufferPointer<UInt32>, _ i: Int, _ end: Int, ignoreCase: Bool) -> Int {
        guard i + 1 < end else { return 0 }
        func lower(_ v: UInt32) -> UInt32 { ignoreCase && v >= 0x41 && v <= 0x5A ? v + 0x20 : v }
        let a = lower(c[i + 1])
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // r v → 're 've
            return i + 2 < end && lower(c[i + 2]) == 0x65 ? 3 : 0
        case 0x6C:  // l → 'll
            return i + 2 < end && lower(c[i + 2]) == 0x6C ? 3 : 0
        default: return 0
        }
    }

    /// End of a whitespace run starting at `i` under `\s+(?!\S)|\s+`: a run followed by a
    /// non-space leaves its last character for the next piece (when the run is longer than one).
    @inline(__always)
    static func whitespaceRunEnd(_ k: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        var e = i + 1
        while e < end && k[e] == ScalarText.Class.whitespace { e += 1 }
        if e < end && e - i >= 2 { return e - 1 }
        return e
    }

    @inline(__always)
    static func runEnd(_ k: UnsafeBufferPointer<UInt8>, _ from: Int, _ end: Int, _ cls: UInt8) -> Int {
        var e = from
        while e < end && k[e] == cls { e += 1 }
        return e
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` over `lo..<hi`
    /// (the lookahead sees `hi` as the end of text).
    static func splitGPT2(_ c: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>,
                          _ lo: Int, _ hi: Int, _ pieces: inout [Range<Int>]) {
        let whitespace = ScalarText.Class.whitespace
        var i = lo
        while i < hi {
            if c[i] == apostrophe {
                let n = contractionLength(c, i, hi, ignoreCase: false)
                if n > 0 { pieces.append(i..<(i + n)); i += n; continue }
            }
            // ` ?X+` for the three non-space classes: an optional single U+0020 before the run.
            var j = i
            if c[i] == space && i + 1 < hi && k[i + 1] != whitespace { j = i + 1 }
            let cls = k[j]
            let end: Int
            if cls == whitespace {
                end = whitespaceRunEnd(k, i, hi)
            } else {
                end = runEnd(k, j + 1, hi, cls)
            }
            pieces.append(i..<end)
            i = end
        }
    }

    /// SmolLM (HF `Sequence[Digits(individual_digits), ByteLevel]`): each `\p{N}` scalar alone,
    /// the GPT-2 regex on each stretch between them.
    static func splitSmolLM(_ c: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>,
                            _ lo: Int, _ hi: Int, _ pieces: inout [Range<Int>]) {
        var start = lo
        for i in lo..<hi where k[i] == ScalarText.Class.number {
            if start < i { splitGPT2(c, k, start, i, &pieces) }
            pieces.append(i..<(i + 1))
            start = i + 1
        }
        if start < hi { splitGPT2(c, k, start, hi, &pieces) }
    }

    /// LLaMA-3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    static func splitLlama3(_ c: UnsafeBufferPointer<UInt32>, _ k: UnsafeBufferPointer<UInt8>,
                            _ lo: Int, _ hi: Int, _ pieces: inout [Range<Int>]) {
        typealias Class = ScalarText.Class
        @inline(__always) func isNewline(_ v: UInt32) -> Bool { v == 0x0A || v == 0x0D }
        var i = lo
        while i < hi {
            let ch = c[i], cls = k[i]
            if ch == apostrophe {
                let n = contractionLength(c, i, hi, ignoreCase: true)
                if n > 0 { pieces.append(i..<(i + n)); i += n; continue }
            }
            var end: Int
            if cls == Class.letter {
                end = runEnd(k, i + 1, hi, Class.letter)
            } else if cls != Class.number && !isNewline(ch) && i + 1 < hi && k[i + 1] == Class.letter {
                end = runEnd(k, i + 2, hi, Class.letter)
            } else if cls == Class.number {
                end = i + 1
                while end < hi && end < i + 3 && k[end] == Class.number { end += 1 }
            } else if cls == Class.other || (ch == space && i + 1 < hi && k[i + 1] == Class.other) {
                end = runEnd(k, cls == Class.other ? i + 1 : i + 2, hi, Class.other)
                while end < hi && isNewline(c[end]) { end += 1 }
            } else {
                // Whitespace: `\s*[\r\n]+` takes the run up to its last newline, if it has one.
                var runEnd = i + 1
                while runEnd < hi && k[runEnd] == Class.whitespace { runEnd += 1 }
                var lastNewline = -1
                var m = runEnd - 1
                while m >= i { if isNewline(c[m]) { lastNewline = m; break }; m -= 1 }
                end = lastNewline >= 0 ? lastNewline + 1 : whitespaceRunEnd(k, i, hi)
            }
            pieces.append(i..<end)
            i = end
        }
    }
}

extension PreTokenizerKind {
    /// The pre-tokens of `text` (before byte-level mapping and BPE), for inspection and tests.
    public func split(_ text: String) -> [String] {
        var scalars = ScalarText()
        scalars.load(text.utf8)
        var pieces: [Range<Int>] = []
        PreTokenizer.split(scalars, kind: self, into: &pieces)
        return pieces.map { piece in
            let lo = Int(scalars.byteOffsets[piece.lowerBound]), hi = Int(scalars.byteOffsets[piece.upperBound])
            return String(decoding: scalars.bytes[lo..<hi], as: UTF8.self)
        }
    }
}
