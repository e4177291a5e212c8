import Foundation
import HeapModule

/// GPT-2 byte-level BPE over one pre-token at a time. Symbols are token ids; the merge table maps a
/// pair of ids (packed into a UInt64) to the merge's rank and the merged id, so the inner loop does
/// integer lookups only. Results per pre-token are cached because natural text repeats words a lot.
final class BytePairEncoder: @unchecked Sendable {
    /// (left << 32 | right) → (rank << 32 | merged id).
    private let mergeTable: [UInt64: UInt64]
    /// Token id of the single byte-level character for each byte, or -1 when the vocabulary lacks it.
    private let byteTokens: [Int32]
    private let unknownId: Int32
    /// Byte-level spelling → id, for `ignoreMerges` (whole pre-tokens that are vocabulary entries).
    private let tokenIds: [String: Int32]
    private let ignoreMerges: Bool

    /// Results per pre-token, guarded by `cacheLock` so one tokenizer can serve several threads.
    private var cache = WordCache(maxSlots: 1 << 18)
    private let cacheLock = NSLock()
    /// Longer pre-tokens (rare: long runs of symbols or spaces) are not worth keeping.
    static let cacheableLength = 64

    init(vocabulary: TokenizerVocabulary, tokenIds: [String: Int32]) throws {
        self.tokenIds = tokenIds
        self.ignoreMerges = vocabulary.ignoreMerges
        self.unknownId = Int32(vocabulary.unknownId ?? -1)
        var bytes = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let s = String(Unicode.Scalar(ByteLevelAlphabet.scalarForByte[b])!)
            bytes[b] = tokenIds[s] ?? -1
        }
        byteTokens = bytes
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(vocabulary.merges.count)
        for (rank, merge) in vocabulary.merges.enumerated() {
            // Byte-level merges never contain a literal space (it is spelled "Ġ"), so the first
            // space separates the halves.
            guard let sep = merge.firstIndex(of: " ") else {
                throw TokenizerError.malformed(file: vocabulary.source, field: "merges[\(rank)]",
                                               reason: "'\(merge)' is not two tokens separated by a space")
            }
            let left = String(merge[..<sep]), right = String(merge[merge.index(after: sep)...])
            guard let l = tokenIds[left], let r = tokenIds[right], let m = tokenIds[left + right] else { continue }
            let key = UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(m)) }
        }
        mergeTable = table
    }

    /// Appends the ids for one pre-token (raw UTF-8 bytes) to `output`.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout Scratch) {
        guard piece.count <= BytePairEncoder.cacheableLength else {
            merge(piece, into: &output, scratch: &scratch)
            return
        }
        let hash = WordCache.hash(piece)
        cacheLock.lock()
        let hit = cache.lookup(piece, hash: hash, into: &output)
        cacheLock.unlock()
        if hit { return }
        let start = output.count
        merge(piece, into: &output, scratch: &scratch)
        cacheLock.lock()
        if !cache.lookup(piece, hash: hash, into: &scratch.discard) {
            cache.insert(piece, hash: hash, ids: output[start...])
        }
        scratch.discard.removeAll(keepingCapacity: true)
        cacheLock.unlock()
    }

    /// Reusable buffers for `merge`, so encoding a long text does not allocate per word.
    struct Scratch {
        var symbols: [Int32] = []
        var ranks: [UInt64] = []
        /// Sink for the re-check before inserting (another thread may have cached the word meanwhile).
        var discard: [Int32] = []
    }

    private func merge(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout Scratch) {
        if ignoreMerges, let whole = tokenIds[ByteLevelAlphabet.encode(piece)] {
            output.append(whole)
            return
        }
        // Take the buffers out of `scratch` (swap, not copy) so mutation does not trigger copy-on-write.
        var symbols: [Int32] = [], ranks: [UInt64] = []
        swap(&symbols, &scratch.symbols)
        swap(&ranks, &scratch.ranks)
        symbols.removeAll(keepingCapacity: true)
        ranks.removeAll(keepingCapacity: true)
        for b in piece {
            let id = byteTokens[Int(b)]
            if id >= 0 { symbols.append(id) } else if unknownId >= 0 { symbols.append(unknownId) }
        }
        // ranks[i] describes the pair (symbols[i], symbols[i+1]): rank << 32 | merged id, or .max.
        @inline(__always) func pairValue(_ l: Int32, _ r: Int32) -> UInt64 {
            mergeTable[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))] ?? .max
        }
        if symbols.count > BytePairEncoder.longPiece {
            mergeLong(&symbols)
            output.append(contentsOf: symbols)
            swap(&symbols, &scratch.symbols)
            swap(&ranks, &scratch.ranks)
            return
        }
        if symbols.count > 1 {
            for i in 0..<(symbols.count - 1) { ranks.append(pairValue(symbols[i], symbols[i + 1])) }
        }
        // Lowest rank first; among equal pairs the leftmost (strict < keeps the first minimum).
        while !ranks.isEmpty {
            var best = 0
            var bestValue = ranks[0]
            for i in 1..<ranks.count where ranks[i] < bestValue { best = i; bestValue = ranks[i] }
            if bestValue == .max { break }
            symbols[best] = Int32(truncatingIfNeeded: bestValue & 0xFFFF_FFFF)
            symbols.remove(at: best + 1)
            ranks.remove(at: best)
            if best > 0 { ranks[best - 1] = pairValue(symbols[best - 1], symbols[best]) }
            if best < ranks.count { ranks[best] = pairValue(symbols[best], symbols[best + 1]) }
        }
        output.append(contentsOf: symbols)
        swap(&symbols, &scratch.symbols)
        swap(&ranks, &scratch.ranks)
    }

    /// Above this many symbols the quadratic rescan above gives way to a heap (pathological
    /// pre-tokens such as long runs of punctuation or base64 blobs).
    static let longPiece = 256

    /// Ordered so that the heap's minimum pops first: lowest rank, then leftmost (the rescan's order).
    private struct Candidate: Comparable {
        var value: UInt64  // rank << 32 | merged id
        var left: Int32
        var right: Int32
        var leftId: Int32
        var rightId: Int32
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.value < b.value || (a.value == b.value && a.left < b.left)
        }
        static func == (a: Candidate, b: Candidate) -> Bool { a.value == b.value && a.left == b.left }
    }

    /// The same merges in O(n log n): symbols in a linked list, candidate pairs in a binary heap,
    /// entries whose symbols have changed since they were queued are skipped when popped. The heap is
    /// swift-collections' `Heap`.
    private func mergeLong(_ symbols: inout [Int32]) {
        let n = symbols.count
        var ids = symbols
        var next = (0..<n).map { Int32($0 + 1 < n ? $0 + 1 : -1) }
        var prev = (0..<n).map { Int32($0 - 1) }
        var heap = Heap<Candidate>()
        func push(_ l: Int32, _ r: Int32) {
            guard l >= 0, r >= 0 else { return }
            let lId = ids[Int(l)], rId = ids[Int(r)]
            guard let value = mergeTable[UInt64(UInt32(lId)) << 32 | UInt64(UInt32(rId))] else { return }
            heap.insert(Candidate(value: value, left: l, right: r, leftId: lId, rightId: rId))
        }
        for i in 0..<(n - 1) { push(Int32(i), Int32(i + 1)) }
        var alive = [Bool](repeating: true, count: n)
        while let c = heap.popMin() {
            let l = Int(c.left), r = Int(c.right)
            guard alive[l], alive[r], next[l] == c.right, ids[l] == c.leftId, ids[r] == c.rightId else { continue }
            ids[l] = Int32(truncatingIfNeeded: c.value & 0xFFFF_FFFF)
            alive[r] = false
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = c.left }
            push(prev[l], c.left)
            push(c.left, next[l])
        }
        symbols.removeAll(keepingCapacity: true)
        var i: Int32 = 0
        while i >= 0 { symbols.append(ids[Int(i)]); i = next[Int(i)] }
    }
}
