import Foundation

/// oneDNN's bf16 matrix-product rate at the model's shapes: `BF16Linear.forward` of `rows`
/// activations, best of a few runs after a warm-up, the bf16 counterpart of `SgemmRate`.
public enum BF16Rate {
    public static func measure(shapes: [(inFeatures: Int, outFeatures: Int)], rows: Int = 4096,
                               repeats: Int = 3) throws -> (median: Double, perShape: [Double], implementation: String) {
        var rates: [Double] = []
        var implementation = ""
        for (k, m) in shapes {
            let x = Tensor(shape: [rows, k], repeating: 0.01), w = Tensor(shape: [m, k], repeating: 0.02), y = Tensor(shape: [rows, m])
            let layer = try BF16Linear(weight: w.data, outFeatures: m, inFeatures: k)
            implementation = layer.forwardPack.implementation
            var best = Double.infinity
            for _ in 0...max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                layer.forward(y: y.data, x: x.data, rows: rows)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            rates.append(2 * Double(rows * k * m) / best / 1e9)
        }
        return (rates.sorted()[rates.count / 2], rates, implementation)
    }
}
