import Engine

/// The final hidden states of an incremental forward: row `b·Tq + t` is sequence b's new token t.
public struct IncrementalOutput {
    public let hidden: Tensor          // [B·Tq, C] after the final norm
    public let queries: Int            // Tq
    let buffers: IncrementalBuffers
}

extension LlamaDecoder {
    /// Appends `newTokens[b]` to row b of the cache (rows with no new tokens are padded and left
    /// unchanged) and returns the final-norm hidden states of the new positions. Used for prefill,
    /// greedy decoding (one token per row) and prefix-reusing scoring.
    public func forwardCached(_ newTokens: [[Int]], cache: KVCache) throws -> IncrementalOutput {
        let c = config
        precondition(newTokens.count == cache.batch, "forwardCached: \(newTokens.count) rows for a cache of \(cache.batch)")
        let tq = newTokens.map(\.count).max() ?? 0
        let bsz = cache.batch, n = bsz * tq
        let starts = cache.lengths
        for b in 0..<bsz where starts[b] + newTokens[b].count > cache.capacity {
            throw DecoderError.sequenceTooLong(length: starts[b] + newTokens[b].count, limit: cache.capacity)
        }
        for b in 0..<bsz where starts[b] + tq > rope.maxT {
            throw DecoderError.sequenceTooLong(length: starts[b] + tq, limit: rope.maxT)
        }
        var ids = [Int32](repeating: 0, count: n)
        var tokenMask = [Int32](repeating: 0, count: n)
        for b in 0..<bsz {
            for (t, id) in newTokens[b].enumerated() {
                guard id >= 0 && id < c.vocabularySize else {
                    throw DecoderError.tokenOutOfRange(id: id, position: starts[b] + t, vocabulary: c.vocabularySize)
                }
                ids[b * tq + t] = Int32(id); tokenMask[b * tq + t] = 1
            }
        }
        // Padded slots beyond a row's new tokens are written with mask 0 (invisible) and later overwritten.
        for b in 0..<bsz where starts[b] + tq > cache.capacity {
            throw DecoderError.sequenceTooLong(length: starts[b] + tq, limit: cache.capacity)
        }
        let buffers = incrementalBuffers(rows: n, maxKeys: cache.capacity)
        for b in 0..<bsz {
            for t in 0..<tq { cache.keyMask[b * cache.capacity + starts[b] + t] = tokenMask[b * tq + t] }
        }
        let layout = BatchLayout(batch: bsz, seqLen: tq, sequenceGroups: [Int](repeating: 0, count: bsz))
        adapter?.prepare(layout: layout, training: false)
        ids.withUnsafeBufferPointer { idp in
            Embedding.forward(out: buffers.residual.data, ids: idp.baseAddress!, table: weights.embedding.data,
                              rows: n, vocab: c.vocabularySize, channels: c.hiddenSize)
        }
        cache.keyMask.withUnsafeBufferPointer { keyMask in
            for l in 0..<c.layerCount {
                cachedLayer(l, buffers, cache: cache, keyMask: keyMask.baseAddress!, starts: starts, queries: tq, layout: layout)
            }
        }
        RMSNorm.forward(out: buffers.finalNormed.data, rstd: buffers.rstd.data, inp: buffers.residual.data,
                        weight: weights.finalNorm.data, rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        for b in 0..<bsz {
            cache.lengths[b] += newTokens[b].count
            cache.tokens[b] += newTokens[b].map(Int32.init)
        }
        return IncrementalOutput(hidden: buffers.finalNormed, queries: tq, buffers: buffers)
    }

    func incrementalBuffers(rows n: Int, maxKeys: Int) -> IncrementalBuffers {
        if let b = cachedIncremental, b.rows == n, b.attentionScratch.maxKeys >= maxKeys { return b }
        let b = IncrementalBuffers(config: config, rows: n, maxKeys: maxKeys)
        cachedIncremental = b
        return b
    }

    func cachedLayer(_ l: Int, _ buf: IncrementalBuffers, cache: KVCache, keyMask: UnsafePointer<Int32>,
                     starts: [Int], queries tq: Int, layout: BatchLayout) {
        let c = config, n = buf.rows, w = weights.layers[l]
        RMSNorm.forward(out: buf.normed.data, rstd: buf.rstd.data, inp: buf.residual.data, weight: w.attentionNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        project(l, .q, x: buf.normed.data, y: buf.q.data, rows: n, layout: layout, training: false)
        project(l, .k, x: buf.normed.data, y: buf.k.data, rows: n, layout: layout, training: false)
        project(l, .v, x: buf.normed.data, y: buf.v.data, rows: n, layout: layout, training: false)
        for b in 0..<layout.batch {
            RoPE.forward(buf.q.data + b * tq * c.queryWidth, rows: tq, seqLen: tq, heads: c.headCount,
                         headSize: c.headSize, table: rope, layout: .rotateHalf, startPosition: starts[b])
            RoPE.forward(buf.k.data + b * tq * c.keyValueWidth, rows: tq, seqLen: tq, heads: c.keyValueHeadCount,
                         headSize: c.headSize, table: rope, layout: .rotateHalf, startPosition: starts[b])
        }
        Attention.writeCache(cache.keys[l].data, cacheCapacity: cache.capacity, from: buf.k.data, startPositions: starts,
                             batch: layout.batch, count: tq, width: c.keyValueWidth)
        Attention.writeCache(cache.values[l].data, cacheCapacity: cache.capacity, from: buf.v.data, startPositions: starts,
                             batch: layout.batch, count: tq, width: c.keyValueWidth)
        Attention.forwardCached(out: buf.attention.data, q: buf.q.data, keyCache: cache.keys[l].data,
                                valueCache: cache.values[l].data, cacheCapacity: cache.capacity, keyMask: keyMask,
                                startPositions: starts, batch: layout.batch, queries: tq, heads: c.headCount,
                                kvHeads: c.keyValueHeadCount, headSize: c.headSize, scratch: buf.attentionScratch)
        project(l, .o, x: buf.attention.data, y: buf.residual.data, rows: n, beta: 1, layout: layout, training: false)
        RMSNorm.forward(out: buf.normed.data, rstd: buf.rstd.data, inp: buf.residual.data, weight: w.feedForwardNorm.data,
                        rows: n, channels: c.hiddenSize, eps: c.rmsNormEpsilon)
        project(l, .gate, x: buf.normed.data, y: buf.gate.data, rows: n, layout: layout, training: false)
        project(l, .up, x: buf.normed.data, y: buf.up.data, rows: n, layout: layout, training: false)
        SwiGLU.forward(out: buf.swiglu.data, gate: buf.gate.data, up: buf.up.data, count: n * c.intermediateSize)
        project(l, .down, x: buf.swiglu.data, y: buf.residual.data, rows: n, beta: 1, layout: layout, training: false)
    }

    /// Logits `[rows.count, V]` for rows of an incremental output.
    public func logits(_ output: IncrementalOutput, rows: [Int]) -> Tensor {
        let c = config
        let out = Tensor(shape: [rows.count, c.vocabularySize])
        LMHead.logits(out: out.data, h: output.hidden.data, weight: weights.output.data, rowIndices: rows,
                      rows: output.buffers.rows, channels: c.hiddenSize, vocab: c.vocabularySize, scratch: output.buffers.lmHeadScratch)
        return out
    }

    /// log p(target) and greedy flags for rows of an incremental output (targets -100 are skipped).
    public func score(_ output: IncrementalOutput, targets: [Int32]) -> (logProbs: [Double], isGreedy: [Bool]) {
        let c = config, n = output.buffers.rows
        precondition(targets.count == n, "score: \(targets.count) targets for \(n) rows")
        var logProbs = [Double](repeating: 0, count: n)
        var greedy = [UInt8](repeating: 0, count: n)
        targets.withUnsafeBufferPointer { tp in
            logProbs.withUnsafeMutableBufferPointer { lp in
                greedy.withUnsafeMutableBufferPointer { g in
                    LMHead.score(logProb: lp.baseAddress!, isGreedy: g.baseAddress!, h: output.hidden.data,
                                 weight: weights.output.data, targets: tp.baseAddress!, rows: n,
                                 channels: c.hiddenSize, vocab: c.vocabularySize, scratch: output.buffers.lmHeadScratch)
                }
            }
        }
        return (logProbs, greedy.map { $0 != 0 })
    }
}
