// Scratch for attention: per worker, two [blockRows, maxKeys] float panels (scores/probabilities and
// their gradients; the cached inference forward uses the pair as one panel of 2·blockRows rows). Sizing: threads * 2 * blockRows * maxKeys floats, e.g. 2 workers, 64 rows, 2048 keys = 2 MB.

import Foundation
import Synchronization

public final class AttentionScratch: @unchecked Sendable {
    /// Most keys any call may attend over (T for training, the cache capacity for generation).
    public let maxKeys: Int
    /// Query rows processed per block; a block of queries [i0, i1) only scores keys [0, i1) (causality).
    public let blockRows: Int
    /// Number of workers that may run at once; each owns two panels.
    public let threads: Int
    let storage: UnsafeMutablePointer<Float>
    /// Each worker's bf16 operands (`Precision.bf16`); empty until first used.
    let bf16Workers: [AttentionBF16Buffers]

    public static func floatCount(maxKeys: Int, threads: Int, blockRows: Int = 64) -> Int {
        threads * 2 * blockRows * maxKeys
    }

    public init(maxKeys: Int, threads: Int = Parallel.threads, blockRows: Int = 64) {
        precondition(maxKeys > 0 && threads > 0 && blockRows > 0, "AttentionScratch: sizes must be positive")
        self.maxKeys = maxKeys; self.threads = threads; self.blockRows = blockRows
        let n = Self.floatCount(maxKeys: maxKeys, threads: threads, blockRows: blockRows)
        storage = .allocate(capacity: n)
        storage.initialize(repeating: 0, count: n)
        bf16Workers = (0..<threads).map { _ in AttentionBF16Buffers() }
    }

    /// Convenience matching the training call site: keys = sequence length.
    public convenience init(maxT: Int, threads: Int = Parallel.threads) {
        self.init(maxKeys: maxT, threads: threads)
    }

    deinit { storage.deallocate() }

    /// Multiply-adds below which attention runs on one thread.
    static let inlineWork = 1 << 20

    @inline(__always) func scores(_ worker: Int) -> UnsafeMutablePointer<Float> {
        storage + worker * 2 * blockRows * maxKeys
    }
    /// Worker `worker`'s bf16 operands when `precision` is bf16, else nil (the float32 path).
    @inline(__always) func bf16(_ worker: Int, _ precision: Precision) -> AttentionBF16Buffers? {
        precision == .bf16 ? bf16Workers[worker] : nil
    }
    @inline(__always) func gradients(_ worker: Int) -> UnsafeMutablePointer<Float> {
        storage + (worker * 2 + 1) * blockRows * maxKeys
    }

    /// Runs `body(worker, unit)` for every unit in `0..<units` on at most `threads` workers, each
    /// taking the next unit not yet taken: units differ in cost (an evaluation window's questions
    /// differ in length), and a fixed split left one core idle at the end of each call. While
    /// several workers run, BLAS products are pinned to one thread each so the per-unit sgemm calls
    /// do not oversubscribe the cores (and results do not depend on the BLAS thread split).
    /// `work` (multiply-adds in all units, if known) below `inlineWork` runs on the calling thread:
    /// a decoding step's attention is smaller than the cost of waking a worker.
    func run(units: Int, work: Int = .max, _ body: (Int, Int) -> Void) {
        let workers = work < Self.inlineWork ? 1 : min(threads, units, Parallel.threads)
        if workers <= 1 {
            for u in 0..<units { body(0, u) }
            return
        }
        let saved = BLAS.threads
        BLAS.setThreads(1)
        defer { BLAS.setThreads(saved) }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            while true {
                let u = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard u < units else { return }
                body(w, u)
            }
        }
    }
}
