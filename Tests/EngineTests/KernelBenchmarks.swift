import XCTest
import Engine

/// Timing of the kernels at SmolLM2-135M sizes against the sgemm rate of the same machine.
/// Skipped unless METALORA_BENCH=1 (run in release: `swift test -c release --filter KernelBenchmarks`).
final class KernelBenchmarks: XCTestCase {
    let b = 4, t = 256, c = 576, nh = 9, nkv = 3, hs = 64, hidden = 1536, vocab = 49_152

    func time(_ repeats: Int = 3, _ body: () -> Void) -> Double {
        body()   // warm-up
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats)
    }

    func testKernelThroughputAtSmolLM2Sizes() throws {
        guard ProcessInfo.processInfo.environment["METALORA_BENCH"] == "1" else { throw XCTSkip("set METALORA_BENCH=1") }
        let n = b * t
        var rng = SplitMix64(seed: 1)
        let x = tensor(rng.floats(n * c)), w = tensor(rng.floats(hidden * c, scale: 0.05)), y = Tensor(shape: [n, hidden])
        let gemm = time { Linear.forward(y: y.data, x: x.data, weight: w.data, rows: n, inFeatures: c, outFeatures: hidden) }
        let rate = 2.0 * Double(n * c * hidden) / gemm / 1e9
        print("[bench] sgemm \(n)x\(c)x\(hidden): \(String(format: "%.1f", rate)) GFLOP/s")
        func report(_ name: String, _ seconds: Double, flops: Double) {
            let atRate = flops / (rate * 1e9)
            print("[bench] \(name): \(String(format: "%.2f", seconds * 1e3)) ms (its matmul flops at the sgemm rate: \(String(format: "%.2f", atRate * 1e3)) ms, efficiency \(String(format: "%.0f", 100 * atRate / seconds))%)")
        }

        let q = tensor(rng.floats(n * nh * hs)), k = tensor(rng.floats(n * nkv * hs)), v = tensor(rng.floats(n * nkv * hs))
        let out = Tensor(shape: [n, nh * hs]), lse = Tensor(shape: [b, nh, t])
        let dq = Tensor(shape: [n, nh * hs]), dk = Tensor(shape: [n, nkv * hs]), dv = Tensor(shape: [n, nkv * hs])
        let scratch = AttentionScratch(maxT: t)
        let causalPairs = Double(b * nh) * Double(t * (t + 1) / 2)
        let fwd = time {
            Attention.forward(out: out.data, lse: lse.data, q: q.data, k: k.data, v: v.data, mask: nil, batch: b, seqLen: t,
                              heads: nh, kvHeads: nkv, headSize: hs, scratch: scratch)
        }
        report("attention forward B=\(b) T=\(t)", fwd, flops: 4 * causalPairs * Double(hs))
        let bwd = time {
            Attention.backward(dq: dq.data, dk: dk.data, dv: dv.data, dout: out.data, q: q.data, k: k.data, v: v.data,
                               out: out.data, lse: lse.data, mask: nil, batch: b, seqLen: t, heads: nh, kvHeads: nkv,
                               headSize: hs, scratch: scratch)
        }
        report("attention backward", bwd, flops: 10 * causalPairs * Double(hs))

        let h = tensor(rng.floats(n * c)), e = tensor(rng.floats(vocab * c, scale: 0.05)), dh = Tensor(shape: [n, c])
        let targets = (0..<n).map { Int32($0 * 7919 % 49_152) }
        let lmScratch = LMHeadScratch(vocab: vocab, channels: c)
        let lm = time(1) {
            _ = targets.withUnsafeBufferPointer { tp in
                LMHead.loss(h: h.data, weight: e.data, targets: tp.baseAddress!, rows: n, channels: c, vocab: vocab,
                            dh: dh.data, gradScale: 1 / Float(n), scratch: lmScratch)
            }
        }
        report("LM head loss+dh N=\(n) V=\(vocab)", lm, flops: 4 * Double(n) * Double(vocab) * Double(c))

        let rstd = Tensor(shape: [n]), nw = Tensor(shape: [c], repeating: 1), normOut = Tensor(shape: [n, c])
        let norm = time(10) { RMSNorm.forward(out: normOut.data, rstd: rstd.data, inp: x.data, weight: nw.data, rows: n, channels: c, eps: 1e-5) }
        let normB = time(10) { RMSNorm.backward(dinp: dh.data, dweight: nil, dout: x.data, inp: x.data, weight: nw.data, rstd: rstd.data, rows: n, channels: c) }
        let gate = tensor(rng.floats(n * hidden)), up = tensor(rng.floats(n * hidden)), act = Tensor(shape: [n, hidden])
        let swi = time(10) { SwiGLU.forward(out: act.data, gate: gate.data, up: up.data, count: n * hidden) }
        let swiB = time(10) { SwiGLU.backward(dgate: act.data, dup: y.data, dout: act.data, gate: gate.data, up: up.data, count: n * hidden) }
        let table = RopeTable(maxT: t, rotaryDims: hs, base: 100_000)
        let rope = time(10) { RoPE.forward(q.data, rows: n, seqLen: t, heads: nh, headSize: hs, table: table, layout: .rotateHalf) }
        print("[bench] rmsnorm fwd \(String(format: "%.3f", norm * 1e3)) ms, bwd \(String(format: "%.3f", normB * 1e3)) ms; swiglu fwd \(String(format: "%.3f", swi * 1e3)) ms, bwd \(String(format: "%.3f", swiB * 1e3)) ms; rope(q) \(String(format: "%.3f", rope * 1e3)) ms; one [N,C]x[C,H] sgemm \(String(format: "%.3f", gemm * 1e3)) ms")
    }
}
