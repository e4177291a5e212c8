import Engine
import Models

extension LoRAParameters {
    /// Folds the adapter into the frozen weights: W ← W + s · B A (s = α/r per site, or α/√r under rsLoRA), for inference with the
    /// single shared adapter (paper §3.3). `sign = -1` unmerges.
    public func merge(into weights: LlamaWeights, sign: Float = 1) {
        let c = weights.config
        for s in sites {
            let (out, inp) = s.projection.shape(c)
            BLAS.sgemm(m: out, n: inp, k: rank(s), alpha: sign * scale(s),
                       a: b[s]!.data, lda: rank(s), b: a[s]!.data, ldb: inp,
                       beta: 1, c: weights.layers[s.layer].weight(s.projection), ldc: inp)
        }
    }
}
