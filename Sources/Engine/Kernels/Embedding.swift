// Token-embedding lookup.
// Shapes: ids [N] (N = B*T rows), table [V, C], out [N, C].
// The table is frozen in every training mode of this project, so there is no backward.

public enum Embedding {
    /// `out[i, :] = table[ids[i], :]` (`=`). An id outside `0..<vocab` is a programming error:
    /// the model layer validates token ids before calling, so this traps with the offending row.
    public static func forward(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>,
                               table: UnsafePointer<Float>, rows n: Int, vocab: Int, channels c: Int) {
        for i in 0..<n {
            let id = Int(ids[i])
            precondition(id >= 0 && id < vocab, "Embedding.forward: token id \(id) at row \(i) is outside the vocabulary 0..<\(vocab)")
        }
        Parallel.forEachChunk(n, costPerItem: c) { rows in
            for i in rows { (out + i * c).update(from: table + Int(ids[i]) * c, count: c) }
        }
    }
}
