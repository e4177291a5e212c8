import Foundation
import Engine

/// A frozen `[rows, cols]` weight matrix (HF layout) kept in its stored encoding: blocks of a
/// ggml type, row after row, inside a mapped checkpoint file. `decode` turns it (or some rows)
/// into float32 with the same block decoder the load-time path uses, so the floats are the same
/// bits; q/k rows that llama.cpp's converter permuted are read through `rowOrder`, which is the
/// load-time un-permutation (`WeightLoader.unpermuteRows`) done by addressing instead of moving.
public final class EncodedMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int, cols: Int
    let base: UnsafeRawPointer
    let rowBytes: Int
    /// HF row `r` is stored row `rowOrder[r]`; nil when the file already has HF order.
    let rowOrder: [Int]?
    /// Keeps `base` valid (the mapped file, or an owned buffer).
    let owner: AnyObject

    init(type: GGMLType, rows: Int, cols: Int, base: UnsafeRawPointer, rowOrder: [Int]?, owner: AnyObject) {
        self.type = type; self.rows = rows; self.cols = cols; self.base = base
        self.rowBytes = type.byteCount(elements: cols)!
        self.rowOrder = rowOrder; self.owner = owner
    }

    public var count: Int { rows * cols }
    /// Bytes the encoding occupies.
    public var byteCount: Int { rows * rowBytes }

    /// Rows `first..<first + count` as float32 into `destination` (`count × cols`), on this thread.
    public func decode(rows first: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(first >= 0 && first + count <= rows, "EncodedMatrix.decode: rows \(first)..<\(first + count) of \(rows)")
        Dequantize.rows(type, base, rowBytes: rowBytes, cols: cols, rowOrder: rowOrder, first: first, count: count, into: destination)
    }

    /// The whole matrix as float32 into `destination` (`rows × cols`), split over the engine's threads.
    public func decode(into destination: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(rows, costPerItem: cols) { range in
            decode(rows: range.lowerBound, count: range.count, into: destination + range.lowerBound * cols)
        }
    }

    /// The inverse of llama.cpp's q/k permutation as a row order: within each head, HF row
    /// `s·(HS/2) + i` is GGUF row `2i + s` (s ∈ {0, 1}); see `WeightLoader.unpermuteRows`.
    static func unpermutedRowOrder(rows: Int, heads: Int) -> [Int] {
        let headRows = rows / heads, half = headRows / 2
        var order = [Int](repeating: 0, count: rows)
        for h in 0..<heads {
            for s in 0..<2 {
                for i in 0..<half { order[h * headRows + s * half + i] = h * headRows + 2 * i + s }
            }
        }
        return order
    }
}
