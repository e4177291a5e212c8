import HeapModule

/// SentencePiece BPE as llama.cpp's llm_tokenizer_spm runs it: start from single characters,
/// repeatedly merge the adjacent pair whose concatenation is the vocabulary entry with the highest
/// score (ties: leftmost), and spell characters that are no token as `<0xXX>` byte tokens.
struct SentencePieceEncoder: Sendable {
    static let spaceMarker = "\u{2581}"  // "▁"
    private let tokenIds: [String: Int32]
    private let scores: [Float]
    /// Id of `<0xXX>` for each byte, or -1.
    let byteTokens: [Int32]
    private let unknownId: Int32

    init(vocabulary: TokenizerVocabulary, tokenIds: [String: Int32]) throws {
        guard let scores = vocabulary.scores else {
            throw TokenizerError.missingField(file: vocabulary.source, field: "token scores (required by the llama SentencePiece model)")
        }
        guard scores.count == vocabulary.tokens.count else {
            throw TokenizerError.malformed(file: vocabulary.source, field: "scores",
                                           reason: "\(scores.count) scores for \(vocabulary.tokens.count) tokens")
        }
        self.tokenIds = tokenIds
        self.scores = scores
        self.unknownId = Int32(vocabulary.unknownId ?? -1)
        byteTokens = (0..<256).map { b in tokenIds[SentencePieceEncoder.byteTokenText(UInt8(b))] ?? -1 }
    }

    static func byteTokenText(_ b: UInt8) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    /// A merge candidate: the pair starting at symbol `left`, whose text spans `size` bytes.
    /// Ordered so that the heap's minimum pops first: higher score, then the leftmost.
    private struct Bigram: Comparable {
        var score: Float
        var left: Int
        var right: Int
        var size: Int
        static func < (a: Bigram, b: Bigram) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
        static func == (a: Bigram, b: Bigram) -> Bool { a.score == b.score && a.left == b.left }
    }

    /// Encodes already-normalised text (spaces replaced by "▁", dummy prefix added) into `output`.
    func encode(normalized text: String, into output: inout [Int32]) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        // Symbols: one per Unicode scalar, as byte ranges, in a doubly linked list.
        var start: [Int] = [], length: [Int] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let width = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            start.append(i)
            length.append(min(width, bytes.count - i))
            i += width
        }
        let n = start.count
        var prev = (0..<n).map { $0 - 1 }
        var next = (0..<n).map { $0 + 1 < n ? $0 + 1 : -1 }
        var heap = Heap<Bigram>()

        func textOf(_ from: Int, _ count: Int) -> String {
            String(decoding: bytes[from..<(from + count)], as: UTF8.self)
        }
        func tryAdd(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let size = length[left] + length[right]
            guard let id = tokenIds[textOf(start[left], size)] else { return }
            heap.insert(Bigram(score: scores[Int(id)], left: left, right: right, size: size))
        }
        for s in 1..<max(n, 1) { tryAdd(s - 1, s) }
        while let bigram = heap.popMin() {
            let l = bigram.left, r = bigram.right
            // Stale: one side was merged away or grew since this candidate was queued.
            if length[l] == 0 || length[r] == 0 || length[l] + length[r] != bigram.size { continue }
            length[l] += length[r]
            length[r] = 0
            next[l] = next[r]
            if next[r] >= 0 { prev[next[r]] = l }
            tryAdd(prev[l], l)
            tryAdd(l, next[l])
        }
        var s = 0
        while s >= 0 && s < n {
            if let id = tokenIds[textOf(start[s], length[s])] {
                output.append(id)
            } else {
                for b in bytes[start[s]..<(start[s] + length[s])] {
                    let id = byteTokens[Int(b)]
                    if id >= 0 { output.append(id) } else if unknownId >= 0 { output.append(unknownId) }
                }
            }
            s = next[s]
        }
    }
}
