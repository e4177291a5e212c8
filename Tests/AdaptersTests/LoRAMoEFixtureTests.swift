import XCTest
import Engine
import Models
import Adapters
import TestSupport

/// LoRAMoELayer against fixtures/hydralora/lora_moe.safetensors and against finite differences.
final class LoRAMoEFixtureTests: XCTestCase {
    func testLayerMatchesFixture() throws {
        let f = try Fixtures.safetensors("hydralora/lora_moe.safetensors")
        let xShape = try f.shape("x"), wShape = try f.shape("W"), a0 = try f.shape("A.0"), table = try f.tensor("task_embedding")
        let sequences = xShape[0], seqLen = xShape[1], inp = xShape[2], out = wShape[0], re = a0[0]
        let ex = f.names.filter { $0.hasPrefix("A.") }.count
        let d = table.shape[1]
        let s = LoRAMoELayer.Shapes(sequences: sequences, seqLen: seqLen, inFeatures: inp, outFeatures: out, expertRank: re,
                                    experts: ex, embeddingDim: d)
        let n = s.rows
        let scale: Float = 2  // fixture README: y = x Wᵀ + 2 · Σ gate_i B_i A_i x
        let x = try f.tensor("x"), w = try f.tensor("W"), wg = try f.tensor("W_g"), dy = try f.tensor("grad_output")
        let a = try (0..<ex).map { try f.tensor("A.\($0)") }, b = try (0..<ex).map { try f.tensor("B.\($0)") }
        let tasks = try f.ints("task_ids")
        // The kernels take raw pointers: keep the tensors alive to the end (release builds free early).
        defer { withExtendedLifetime([x, w, wg, dy, table] + a + b) {} }
        let e = Tensor(shape: [sequences, d])
        defer { withExtendedLifetime(e) {} }
        LoRAMoELayer.gatherTaskEmbeddings(table: table.data, tasks: tasks, embeddingDim: d, into: e.data)
        let fixture = FixtureComparison(f, atol: 1e-5)
        try fixture.check(e.array, "e_task")
        let y = Tensor(shape: [n, out]), gate = Tensor(shape: [sequences, ex]), xa = Tensor(shape: [ex, n, re])
        let scratch = LoRAMoELayer.Scratch(rows: n, expertRank: re, sequences: sequences, experts: ex)
        defer { withExtendedLifetime([y, gate, xa]) {} }
        BLAS.sgemm(transA: false, transB: true, m: n, n: out, k: inp, a: x.data, lda: inp, b: w.data, ldb: inp, beta: 0, c: y.data, ldc: out)
        LoRAMoELayer.forward(s, x: x.data, ldx: inp, a: a.map { UnsafePointer($0.data) }, b: b.map { UnsafePointer($0.data) },
                             gateWeight: wg.data, taskEmbedding: e.data, scale: scale, y: y.data, ldy: out,
                             gate: gate.data, xa: xa.data, scratch: scratch)
        try fixture.check(y.array, "y")
        try fixture.check(gate.array, "gate")
        let dx = Tensor(shape: [n, inp]), dWg = Tensor(shape: wg.shape), de = Tensor(shape: [sequences, d]), dTable = Tensor(shape: table.shape)
        let dA = a.map { Tensor(shape: $0.shape) }, dB = b.map { Tensor(shape: $0.shape) }
        defer { withExtendedLifetime([dx, dWg, de, dTable] + dA + dB) {} }
        BLAS.sgemm(m: n, n: inp, k: out, a: dy.data, lda: out, b: w.data, ldb: inp, beta: 0, c: dx.data, ldc: inp)
        LoRAMoELayer.backward(s, x: x.data, ldx: inp, dy: dy.data, ldy: out, a: a.map { UnsafePointer($0.data) },
                              b: b.map { UnsafePointer($0.data) }, gateWeight: wg.data, taskEmbedding: e.data, scale: scale,
                              gate: gate.data, xa: xa.data, dx: dx.data, lddx: inp, dA: dA.map(\.data), dB: dB.map(\.data),
                              dGateWeight: dWg.data, dTaskEmbedding: de.data, scratch: scratch)
        LoRAMoELayer.scatterTaskGradient(de.data, tasks: tasks, embeddingDim: d, into: dTable.data)
        try fixture.check(dx.array, "grad.x")
        for i in 0..<ex { try fixture.check(dA[i].array, "grad.A.\(i)"); try fixture.check(dB[i].array, "grad.B.\(i)") }
        try fixture.check(dWg.array, "grad.W_g")
        try fixture.check(de.array, "grad.e_task")
        try fixture.check(dTable.array, "grad.task_embedding")
        print("lora_moe fixture max |diff|:", fixture.summary)
    }

    /// Central differences of L = Σ y·g for x, every A_i and B_i, W_g and the task embeddings.
    func testLayerBackwardMatchesFiniteDifferences() {
        let s = LoRAMoELayer.Shapes(sequences: 3, seqLen: 4, inFeatures: 6, outFeatures: 5, expertRank: 2, experts: 3, embeddingDim: 4)
        let n = s.rows
        var rng = SplitMix64(seed: 5)
        func random(_ shape: [Int], _ std: Double) -> Tensor {
            let t = Tensor(shape: shape)
            for i in 0..<t.count { t.data[i] = Float(rng.nextNormal() * std) }
            return t
        }
        let x = random([n, 6], 1), g = random([n, 5], 1), wg = random([3, 4], 0.8), e = random([3, 4], 1)
        let a = (0..<3).map { _ in random([2, 6], 0.5) }, b = (0..<3).map { _ in random([5, 2], 0.5) }
        let scratch = LoRAMoELayer.Scratch(rows: n, expertRank: 2, sequences: 3, experts: 3)
        let gate = Tensor(shape: [3, 3]), xa = Tensor(shape: [3, n, 2])
        defer { withExtendedLifetime([x, g, wg, e, gate, xa] + a + b) {} }
        func loss() -> Double {
            let y = Tensor(shape: [n, 5])
            LoRAMoELayer.forward(s, x: x.data, ldx: 6, a: a.map { UnsafePointer($0.data) }, b: b.map { UnsafePointer($0.data) },
                                 gateWeight: wg.data, taskEmbedding: e.data, scale: 1.5, y: y.data, ldy: 5,
                                 gate: gate.data, xa: xa.data, scratch: scratch)
            return (0..<y.count).reduce(0.0) { $0 + Double(y.data[$1]) * Double(g.data[$1]) }
        }
        _ = loss()
        let dx = Tensor(shape: x.shape), dWg = Tensor(shape: wg.shape), de = Tensor(shape: e.shape)
        let dA = a.map { Tensor(shape: $0.shape) }, dB = b.map { Tensor(shape: $0.shape) }
        LoRAMoELayer.backward(s, x: x.data, ldx: 6, dy: g.data, ldy: 5, a: a.map { UnsafePointer($0.data) },
                              b: b.map { UnsafePointer($0.data) }, gateWeight: wg.data, taskEmbedding: e.data, scale: 1.5,
                              gate: gate.data, xa: xa.data, dx: dx.data, lddx: 6, dA: dA.map(\.data), dB: dB.map(\.data),
                              dGateWeight: dWg.data, dTaskEmbedding: de.data, scratch: scratch)
        var pairs: [(String, Tensor, Tensor)] = [("x", x, dx), ("W_g", wg, dWg), ("e", e, de)]
        for i in 0..<3 { pairs.append(("A.\(i)", a[i], dA[i])); pairs.append(("B.\(i)", b[i], dB[i])) }
        checkFiniteDifferences(pairs, loss: loss)
    }
}
