import Foundation

/// The machine's float32 matrix-product rate, measured now: `Linear.forward` of `rows` activations
/// through weights of each shape, best of a few runs after a warm-up. The median over the shapes is
/// the reference for "fraction of sgemm" figures and for lower bounds on a run's time (float32
/// work cannot go faster).
public enum SgemmRate {
    public static func measure(shapes: [(inFeatures: Int, outFeatures: Int)], rows: Int = 4096,
                               repeats: Int = 3) -> (median: Double, perShape: [Double]) {
        var rates: [Double] = []
        for (k, m) in shapes {
            let x = Tensor(shape: [rows, k], repeating: 0.01), w = Tensor(shape: [m, k], repeating: 0.02), y = Tensor(shape: [rows, m])
            var best = Double.infinity
            for _ in 0...max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                Linear.forward(y: y.data, x: x.data, weight: w.data, rows: rows, inFeatures: k, outFeatures: m)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            rates.append(2 * Double(rows * k * m) / best / 1e9)
        }
        return (rates.sorted()[rates.count / 2], rates)
    }
}
