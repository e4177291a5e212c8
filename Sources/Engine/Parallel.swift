import Foundation

/// The engine's thread budget. OpenBLAS gets the same number; element-wise kernels split rows
/// across `threads` workers with `concurrentPerform`.
public enum Parallel {
    nonisolated(unsafe) public private(set) static var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    public static func setThreads(_ n: Int) {
        threads = max(1, n)
        BLAS.setThreads(threads)
    }

    /// Runs `body(range)` over `0..<count` split into at most `threads` contiguous chunks.
    /// Small jobs (`count * costPerItem` below ~32k) run inline to avoid dispatch overhead.
    public static func forEachChunk(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 || count * max(costPerItem, 1) < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        let chunk = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk, hi = min(count, lo + chunk)
            if lo < hi { body(lo..<hi) }
        }
    }
}
