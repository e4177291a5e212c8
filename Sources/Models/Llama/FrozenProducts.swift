import Foundation
import Engine

/// The float32 scratch that resident weights are dequantized into right before each product:
/// grown to the largest matrix it has held (LLaMA-2-7B: the `[32000, 4096]` LM head, 0.5 GB) and
/// reused by every product after it.
final class DequantizeScratch {
    private var buffer: UnsafeMutablePointer<Float>?
    private var capacity = 0

    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            buffer?.deallocate()
            buffer = .allocate(capacity: count)
            capacity = count
        }
        return buffer!
    }

    var byteCount: Int { 4 * capacity }

    deinit { buffer?.deallocate() }
}

/// How each frozen matrix reaches a product. With float32 residency the product reads the stored
/// copy; with resident weights the whole matrix is dequantized into the scratch first and the
/// product — the same call with the same arguments — reads that, which is why the two paths give
/// bit-identical results (a product split into tiles could be blocked differently by the BLAS).
extension LlamaDecoder {
    /// `body` with projection `p` of layer `l` as a float32 `[out, in]` matrix.
    @inline(__always)
    func withFrozenWeight<R>(_ l: Int, _ p: Projection, _ body: (UnsafePointer<Float>) -> R) -> R {
        let layer = weights.layers[l]
        guard let e = layer.encoded(p) else { return body(layer.weight(p)) }
        let w = dequantizeScratch.floats(e.count)
        dequantizeTimed { e.decode(into: w) }
        return body(w)
    }

    /// `body` with consecutive projections of layer `l` stacked as one float32 matrix (q|k|v or
    /// gate|up), laid out as the float32 copy stores them.
    func withFrozenStack<R>(_ l: Int, _ projections: [Projection], _ body: (UnsafePointer<Float>) -> R) -> R {
        let layer = weights.layers[l]
        guard layer.isResident else { return body(layer.weight(projections[0])) }
        let total = projections.reduce(0) { $0 + layer.encoded($1)!.count }
        let w = dequantizeScratch.floats(total)
        dequantizeTimed {
            var offset = 0
            for p in projections {
                let e = layer.encoded(p)!
                e.decode(into: w + offset)
                offset += e.count
            }
        }
        return body(w)
    }

    /// `body` with the LM head `[V, C]` as float32 (the bf16 path reads its packed copy instead,
    /// which only float32 residency has).
    func withLMHeadWeight<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        guard bf16Weights == nil, let e = weights.encodedOutput else { return body(weights.output.data) }
        let w = dequantizeScratch.floats(e.count)
        dequantizeTimed { e.decode(into: w) }
        return body(w)
    }

    /// `out[i, :] = embedding[ids[i], :]`, decoding only the rows looked up when resident.
    func embed(out: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, rows n: Int) {
        let c = config
        guard let e = weights.encodedEmbedding else {
            Embedding.forward(out: out, ids: ids, table: weights.embedding.data, rows: n, vocab: c.vocabularySize, channels: c.hiddenSize)
            return
        }
        for i in 0..<n {
            let id = Int(ids[i])
            precondition(id >= 0 && id < c.vocabularySize, "embed: token id \(id) at row \(i) is outside the vocabulary 0..<\(c.vocabularySize)")
        }
        dequantizeTimed {
            Parallel.forEachChunk(n, costPerItem: c.hiddenSize) { rows in
                for i in rows { e.decode(rows: Int(ids[i]), count: 1, into: out + i * c.hiddenSize) }
            }
        }
    }

    @inline(__always)
    func dequantizeTimed(_ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        StageTimer.measure("dequantize", body)
        dequantizeNanoseconds += DispatchTime.now().uptimeNanoseconds - start
    }

    /// Wall-clock seconds spent dequantizing resident weights since the decoder was made (or
    /// since `resetDequantizeTime`), for the bench's `dequant_fraction`.
    public var dequantizeSeconds: Double { Double(dequantizeNanoseconds) / 1e9 }
    public func resetDequantizeTime() { dequantizeNanoseconds = 0 }

    /// Bytes of the dequantization scratch (0 with float32 weights).
    public var dequantizeScratchBytes: Int { dequantizeScratch.byteCount }
}
