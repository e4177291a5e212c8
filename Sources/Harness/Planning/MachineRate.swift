// This machine's float32 sgemm rate at a model's projection shapes, measured once and kept in
// results/sgemm-rate.json (per host, core count and shapes) so `plan` stays quick. Delete the file,
// or set METALORA_MEASURE_SGEMM=1, to measure again (e.g. on a quiet machine).
import Foundation
import Engine
import Models

public enum MachineRate {
    public static func gflops(config: LlamaConfig, cacheURL: URL) -> (gflops: Double, measuredNow: Bool) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let shapes = config.projectionShapes
        let key = "\(ResultsStore.hostName)|\(cores)|" + shapes.map { "\($0.inFeatures)x\($0.outFeatures)" }.joined(separator: ",")
        var cache: [String: JSONValue] = [:]
        if let data = try? Data(contentsOf: cacheURL), case .object(let o)? = try? JSONValue.parse(String(decoding: data, as: UTF8.self)) { cache = o }
        if ProcessInfo.processInfo.environment["METALORA_MEASURE_SGEMM"] != "1", let v = cache[key]?.doubleValue, v > 0 { return (v, false) }
        // Rows sized so each product is a few GFLOP: large shapes (7B) stay quick, small ones stay at speed.
        let work = shapes.map { 2.0 * Double($0.inFeatures * $0.outFeatures) }.max() ?? 1
        let rows = max(128, min(4096, Int(4e9 / work)))
        let rate = SgemmRate.measure(shapes: shapes, rows: rows, repeats: 2).median
        cache[key] = .double(rate)
        try? FileManager.default.createDirectory(at: cacheURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(JSONValue.object(cache).canonical.utf8).write(to: cacheURL, options: .atomic)
        return (rate, true)
    }
}
