import Engine

/// Which new positions of an incremental forward need final hidden states. The last layer only
/// feeds the output, so its attention and MLP run only for these rows (keys and values of every
/// row still go into the cache).
public enum CachedOutputs: Sendable {
    /// Every new token (scoring continuations).
    case all
    /// Each sequence's last new token (the next-token distribution: generation, a choice's context).
    case last
    /// None: the forward only fills the cache (a shared prefix).
    case none

    /// The packed rows (in order) that run the last layer past its keys and values, for sequences
    /// of `counts` new tokens (each > 0) packed back to back; nil when every row does, which
    /// includes `.last` with one new token per sequence.
    public func keptRows(counts: [Int]) -> [Int]? {
        let kept: [Int]
        switch self {
        case .all: return nil
        case .none: kept = []
        case .last:
            var end = 0
            kept = counts.map { end += $0; return end - 1 }
        }
        return kept == Array(0..<counts.reduce(0, +)) ? nil : kept
    }
}

/// The final hidden states of an incremental forward. Only sequences that received tokens are
/// computed, and their new tokens are packed back to back without padding (a window of items of
/// different lengths costs the sum of their lengths, not count × longest): `activeRows[r]` is the
/// cache row of segment r, which starts at `offsets[r]`, and `row(b, t)` finds sequence b's new
/// token t in `hidden`.
public struct IncrementalOutput {
    public let hidden: Tensor          // [N, C] after the final norm (N = rows kept by `outputs`)
    public let activeRows: [Int]
    /// First packed row of each active sequence's new tokens.
    public let offsets: [Int]
    /// New tokens of each active sequence.
    public let counts: [Int]
    /// Rows of `hidden` in use (N); the buffer may be larger.
    public let rows: Int
    public let outputs: CachedOutputs
    let buffers: IncrementalBuffers

    /// Index into `hidden` (and into `logits`/`score` rows) of sequence `b`'s new token `t`.
    public func row(_ b: Int, _ t: Int) -> Int {
        guard let r = activeRows.firstIndex(of: b) else { preconditionFailure("sequence \(b) received no tokens in this forward") }
        switch outputs {
        case .all: return offsets[r] + t
        case .last:
            precondition(t == counts[r] - 1, "sequence \(b): only its last new token (\(counts[r] - 1)) has an output, asked for \(t)")
            return r
        case .none: preconditionFailure("this forward kept no outputs")
        }
    }
}

extension LlamaDecoder {
    /// Appends `newTokens[b]` to row b of the cache (rows with no new tokens are padded and left
    /// unchanged) and returns the final-norm hidden states of the new positions. Used for prefill,
    /// greedy decoding (one token per row) and prefix-reusing scoring.
    public func forwardCached(_ newTokens: [[Int]], cache: KVCache, outputs: CachedOutputs = .all) throws -> IncrementalOutput {
        let c = config
        precondition(newTokens.count == cache.batch, "forwardCached: \(newTokens.count) rows for a cache of \(cache.batch)")
        // Rows without new tokens are skipped entirely (a prefix-reuse cache keeps idle rows).
        let active = newTokens.indices.filter { !newTokens[$0].isEmpty }
        let counts = active.map { newTokens[$0].count }
        var offsets = [Int](repeating: 0, count: active.count)
        for r in active.indices.dropFirst() { offsets[r] = offsets[r - 1] + counts[r - 1] }
        let n = counts.reduce(0, +)
        let starts = active.map { cache.lengths[$0] }
        for r in active.indices where starts[r] + counts[r] > min(cache.capacity, rope.maxT) {
            throw DecoderError.sequenceTooLong(length: starts[r] + counts[r], limit: min(cache.capacity, rope.maxT))
        }
        var ids = [Int32](repeating: 0, count: n)
        for (r, b) in active.enumerated() {
            for (t, id) in newTokens[b].enumerated() {
                guard id >= 0 && id < c.vocabularySize else {
                    throw DecoderError.tokenOutOfRange(id: id, position: starts[r] + t, vocabulary: c.vocabularySize)
                }
                ids[offsets[r] + t] = Int32(id)
            }
        }
        let buffers = incrementalBuffers(rows: max(n, 1), maxKeys: cache.capacity)
        guard n > 0 else {
            return IncrementalOutput(hidden: buffers.finalNormed, activeRows: [], offsets: [], counts: [], rows: 0, outputs: outputs, buffers: buffers)
        }
        for (r, b) in active.enumerated() {
            for t in 0..<counts[r] { cache.keyMask[b * cache.capacity + starts[r] + t] = 1 }
        }
        // The packed rows form one sequence for the adapters (every row of an evaluation uses the
        // same adapter copy; per-token routers see each row as before).
        let layout = BatchLayout(batch: 1, seqLen: n, sequenceGroups: [0])
        adapter?.prepare(layout: layout, training: false)
        ids.withUnsafeBufferPointer { idp in
            embed(out: buffers.residual.data, ids: idp.baseAddress!, rows: n)
        }
        // Packed rows leave no masked slots inside a row's visible range unless a caller made some;
        // attention skips the per-key mask test for rows without any.
        let masked = active.enumerated().map { r, b in
            cache.keyMask[(b * cache.capacity)..<(b * cache.capacity + starts[r] + counts[r])].contains(0)
        }
        let segments = CachedSegments(active: active, offsets: offsets, counts: counts, starts: starts, masked: masked)
        // Packed rows that reach the output: the last layer computes the rest only for them.
        let kept = outputs.keptRows(counts: counts)
        var outputRows = n
        cache.keyMask.withUnsafeBufferPointer { keyMask in
            for l in 0..<c.layerCount {
                let keep = l == c.layerCount - 1 ? kept : nil
                outputRows = cachedLayer(l, buffers, rows: n, cache: cache, keyMask: keyMask.baseAddress!, segments: segments,
                                         layout: layout, keep: keep)
            }
        }
        if outputRows > 0 {
            RMSNorm.forward(out: buffers.finalNormed.data, rstd: buffers.rstd.data, inp: buffers.residual.data,
                            weight: weights.finalNorm.data, rows: outputRows, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        }
        for b in active {
            cache.lengths[b] += newTokens[b].count
            cache.tokens[b] += newTokens[b].map(Int32.init)
        }
        return IncrementalOutput(hidden: buffers.finalNormed, activeRows: active, offsets: offsets, counts: counts,
                                 rows: outputRows, outputs: kept == nil ? .all : outputs, buffers: buffers)
    }

    /// LM-head scratch for incremental outputs (few rows: 32 MB chunks), allocated once.
    var smallLMHeadScratch: LMHeadScratch {
        if let s = cachedSmallLMHeadScratch { return s }
        let s = LMHeadScratch(vocab: config.vocabularySize, channels: config.hiddenSize,
                              chunkRows: LMHeadScratch.defaultChunkRows(vocab: config.vocabularySize, budgetBytes: 32 << 20))
        cachedSmallLMHeadScratch = s
        return s
    }

    func incrementalBuffers(rows n: Int, maxKeys: Int) -> IncrementalBuffers {
        if let b = cachedIncremental, b.rows >= n, b.attentionScratch.maxKeys >= maxKeys { return b }
        // Grow geometrically so a run of slightly longer requests does not reallocate each time.
        let b = IncrementalBuffers(config: config, rows: max(n, (cachedIncremental?.rows ?? 0) * 3 / 2),
                                   maxKeys: max(maxKeys, cachedIncremental?.attentionScratch.maxKeys ?? 0))
        cachedIncremental = b
        return b
    }

    /// Where each active sequence's new tokens sit: cache row, packed offset, count, first position.
    struct CachedSegments {
        let active: [Int], offsets: [Int], counts: [Int], starts: [Int]
        /// Whether row r's visible keys include masked slots.
        let masked: [Bool]
    }

    /// One decoder layer over the packed new rows. With `keep` (sorted packed rows), only those
    /// rows continue past the keys and values: they are moved to the front of the buffers and the
    /// rest of the layer runs on them alone. Returns the rows left in the buffers.
    func cachedLayer(_ l: Int, _ buf: IncrementalBuffers, rows n: Int, cache: KVCache, keyMask: UnsafePointer<Int32>,
                     segments: CachedSegments, layout: BatchLayout, keep: [Int]? = nil) -> Int {
        let c = config, w = weights.layers[l]
        let kw = c.keyValueWidth, qw = c.queryWidth, s = cache.capacity
        RMSNorm.forward(out: buf.normed.data, rstd: buf.rstd.data, inp: buf.residual.data, weight: w.attentionNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        if n == 1 && keep == nil {
            projectSingleRow(l, [.q, .k, .v], x: buf.normed.data, into: [buf.q.data, buf.k.data, buf.v.data],
                             scratch: buf.stackedRow, layout: layout)
        } else {
            if keep == nil { project(l, .q, x: buf.normed.data, y: buf.q.data, rows: n, layout: layout, training: false) }
            project(l, .k, x: buf.normed.data, y: buf.k.data, rows: n, layout: layout, training: false)
            project(l, .v, x: buf.normed.data, y: buf.v.data, rows: n, layout: layout, training: false)
        }
        for (r, b) in segments.active.enumerated() {
            let o = segments.offsets[r], count = segments.counts[r], p0 = segments.starts[r]
            if keep == nil {
                RoPE.forward(buf.q.data + o * qw, rows: count, seqLen: count, heads: c.headCount,
                             headSize: c.headSize, table: rope, layout: .rotateHalf, startPosition: p0)
            }
            RoPE.forward(buf.k.data + o * kw, rows: count, seqLen: count, heads: c.keyValueHeadCount,
                         headSize: c.headSize, table: rope, layout: .rotateHalf, startPosition: p0)
            // Each active sequence addresses its own cache row (idle rows are not touched).
            Attention.writeCache(cache.keys[l].data + b * s * kw, cacheCapacity: s, from: buf.k.data + o * kw,
                                 startPositions: [p0], batch: 1, count: count, width: kw)
            Attention.writeCache(cache.values[l].data + b * s * kw, cacheCapacity: s, from: buf.v.data + o * kw,
                                 startPositions: [p0], batch: 1, count: count, width: kw)
        }
        // Each sequence sees the prefix it borrows from other cache rows, then its own positions.
        let keyRows = cache.keys[l].data, valueRows = cache.values[l].data
        /// Queries of segment r at packed rows `row..<row + count` of q, from position `position` on.
        func queries(_ r: Int, row: Int, count: Int, position: Int) -> CachedQueries {
            let b = segments.active[r]
            let spans = cache.borrowed[b].map {
                KeySpan(keys: keyRows + $0.row * s * kw, values: valueRows + $0.row * s * kw, start: $0.start, end: $0.end)
            } + [KeySpan(keys: keyRows + b * s * kw, values: valueRows + b * s * kw, start: cache.ownStart(row: b),
                         end: segments.starts[r] + segments.counts[r])]
            return CachedQueries(queryRow: row, count: count, firstPosition: position, spans: spans,
                                 keyMask: segments.masked[r] ? keyMask + b * s : nil)
        }
        let sequences: [CachedQueries]
        var rows = n, rowLayout = layout
        if let keep {
            guard !keep.isEmpty else { return 0 }
            // Kept rows move to the front (keep[j] >= j, so no source is overwritten before it is read).
            let hidden = c.hiddenSize
            for (j, packed) in keep.enumerated() where packed != j {
                (buf.normed.data + j * hidden).update(from: buf.normed.data + packed * hidden, count: hidden)
                (buf.residual.data + j * hidden).update(from: buf.residual.data + packed * hidden, count: hidden)
            }
            rows = keep.count
            rowLayout = BatchLayout(batch: 1, seqLen: rows, sequenceGroups: layout.sequenceGroups)
            adapter?.prepare(layout: rowLayout, training: false)
            project(l, .q, x: buf.normed.data, y: buf.q.data, rows: rows, layout: rowLayout, training: false)
            sequences = keep.enumerated().map { j, packed in
                let r = segments.offsets.lastIndex { $0 <= packed }!
                let position = segments.starts[r] + packed - segments.offsets[r]
                RoPE.forward(buf.q.data + j * qw, rows: 1, seqLen: 1, heads: c.headCount,
                             headSize: c.headSize, table: rope, layout: .rotateHalf, startPosition: position)
                return queries(r, row: j, count: 1, position: position)
            }
        } else {
            sequences = segments.active.indices.map { r in
                queries(r, row: segments.offsets[r], count: segments.counts[r], position: segments.starts[r])
            }
        }
        StageTimer.measure("attention (cached)") {
            Attention.forwardCached(out: buf.attention.data, q: buf.q.data, sequences: sequences, heads: c.headCount,
                                    kvHeads: c.keyValueHeadCount, headSize: c.headSize, scratch: buf.attentionScratch,
                                    precision: precision)
        }
        project(l, .o, x: buf.attention.data, y: buf.residual.data, rows: rows, beta: 1, layout: rowLayout, training: false)
        RMSNorm.forward(out: buf.normed.data, rstd: buf.rstd.data, inp: buf.residual.data, weight: w.feedForwardNorm.data,
                        rows: rows, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        if rows == 1 {
            projectSingleRow(l, [.gate, .up], x: buf.normed.data, into: [buf.gate.data, buf.up.data],
                             scratch: buf.stackedRow, layout: rowLayout)
        } else {
            project(l, .gate, x: buf.normed.data, y: buf.gate.data, rows: rows, layout: rowLayout, training: false)
            project(l, .up, x: buf.normed.data, y: buf.up.data, rows: rows, layout: rowLayout, training: false)
        }
        SwiGLU.forward(out: buf.swiglu.data, gate: buf.gate.data, up: buf.up.data, count: rows * c.intermediateSize)
        project(l, .down, x: buf.swiglu.data, y: buf.residual.data, rows: rows, beta: 1, layout: rowLayout, training: false)
        return rows
    }

    /// One row through a stacked weight (q|k|v or gate|up, stored one after another): a single
    /// matrix-vector product instead of one per projection, since a decoding step's products are
    /// so small that waking the workers costs as much as the arithmetic. Adapters add their part
    /// per projection afterwards, as `project` does.
    func projectSingleRow(_ l: Int, _ projections: [Projection], x: UnsafePointer<Float>,
                          into outputs: [UnsafeMutablePointer<Float>], scratch: Tensor, layout: BatchLayout) {
        if bf16Weights != nil {
            // The bf16 copies are packed per projection, each already split across the workers.
            for (p, y) in zip(projections, outputs) {
                project(l, p, x: x, y: y, rows: 1, layout: layout, training: false)
            }
            return
        }
        let inFeatures = projections[0].shape(config).in, total = projections.reduce(0) { $0 + $1.shape(config).out }
        withFrozenStack(l, projections) { stacked in
            StageTimer.measure("linear") {
                Linear.forward(y: scratch.data, x: x, weight: stacked, rows: 1, inFeatures: inFeatures, outFeatures: total)
            }
        }
        var offset = 0
        for (p, y) in zip(projections, outputs) {
            let width = p.shape(config).out
            y.update(from: scratch.data + offset, count: width)
            offset += width
            if let adapter, adapter.targets(layer: l, projection: p) {
                adapter.forward(layer: l, projection: p, x: x, ldx: inFeatures, y: y, ldy: width, layout: layout, training: false)
            }
        }
        precondition(offset == total, "projectSingleRow: projections cover \(offset) of \(total) stacked rows")
    }

    /// Logits `[rows.count, V]` for rows of an incremental output.
    public func logits(_ output: IncrementalOutput, rows: [Int]) -> Tensor {
        let c = config
        let out = Tensor(shape: [rows.count, c.vocabularySize])
        withLMHeadWeight { head in
            LMHead.logits(out: out.data, h: output.hidden.data, weight: head, rowIndices: rows,
                          rows: output.rows, channels: c.hiddenSize, vocab: c.vocabularySize, scratch: smallLMHeadScratch,
                          bf16: bf16Weights?.output)
        }
        return out
    }

    /// log p(target) and greedy flags for rows of an incremental output (targets -100 are skipped).
    public func score(_ output: IncrementalOutput, targets: [Int32]) -> (logProbs: [Double], isGreedy: [Bool]) {
        let c = config, n = output.rows
        precondition(targets.count == n, "score: \(targets.count) targets for \(n) rows")
        var logProbs = [Double](repeating: 0, count: n)
        var greedy = [UInt8](repeating: 0, count: n)
        targets.withUnsafeBufferPointer { tp in
            logProbs.withUnsafeMutableBufferPointer { lp in
                greedy.withUnsafeMutableBufferPointer { g in
                    withLMHeadWeight { head in LMHead.score(logProb: lp.baseAddress!, isGreedy: g.baseAddress!, h: output.hidden.data,
                                 weight: head, targets: tp.baseAddress!, rows: n,
                                 channels: c.hiddenSize, vocab: c.vocabularySize, scratch: smallLMHeadScratch,
                                 bf16: bf16Weights?.output) }
                }
            }
        }
        return (logProbs, greedy.map { $0 != 0 })
    }
}
