import Foundation
import Engine

/// Deterministic draws on `SplitMix64`. Implemented here rather than with the standard
/// library's `shuffle(using:)` so the sequence is fixed by this code alone (recorded budgets
/// and resumed runs must replay exactly, whatever the toolchain).
public enum Sampling {
    /// A uniform integer in 0..<bound (bound > 0), rejection-sampled to avoid modulo bias.
    public static func index(below bound: Int, rng: inout SplitMix64) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        let limit = UInt64.max - UInt64.max % b
        while true {
            let v = rng.next()
            if v < limit { return Int(v % b) }
        }
    }

    /// `count` distinct indices of 0..<n in draw order (partial Fisher–Yates).
    public static func choose(_ count: Int, from n: Int, rng: inout SplitMix64) -> [Int] {
        precondition(count <= n, "cannot choose \(count) of \(n)")
        var indices = Array(0..<n)
        for i in 0..<count {
            let j = i + index(below: n - i, rng: &rng)
            indices.swapAt(i, j)
        }
        return Array(indices[0..<count])
    }

    public static func shuffled<T>(_ items: [T], rng: inout SplitMix64) -> [T] {
        choose(items.count, from: items.count, rng: &rng).map { items[$0] }
    }

    /// FNV-1a over UTF-8: a hash that, unlike `Hasher`, is the same in every process, so a
    /// task's draws depend only on (seed, task id), not on which other tasks are in the run.
    public static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in s.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    /// The generator for one task's draw under a run seed.
    public static func generator(seed: UInt64, task: String) -> SplitMix64 {
        SplitMix64(seed: seed ^ stableHash(task))
    }
}
