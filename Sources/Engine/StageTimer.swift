import Foundation

/// Opt-in wall-clock accounting per named stage (set METALORA_PROFILE=1): the decoder wraps its
/// stages in `StageTimer.measure`, and `report()` lists where the time went. Off, it costs one
/// branch per stage.
public enum StageTimer {
    public static let enabled = ProcessInfo.processInfo.environment["METALORA_PROFILE"] == "1"
    nonisolated(unsafe) static var totals: [String: (seconds: Double, calls: Int)] = [:]

    @inline(__always)
    public static func measure<R>(_ stage: String, _ body: () throws -> R) rethrows -> R {
        guard enabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let old = totals[stage] ?? (0, 0)
        totals[stage] = (old.seconds + seconds, old.calls + 1)
        return result
    }

    public static func reset() { totals = [:] }

    /// Stages sorted by total time, with shares.
    public static func report() -> String {
        let all = totals.values.reduce(0) { $0 + $1.seconds }
        return totals.sorted { $0.value.seconds > $1.value.seconds }.map { name, v in
            String(format: "%-22@ %8.3f s %5.1f%%  %6d calls", name as NSString, v.seconds, 100 * v.seconds / max(all, 1e-12), v.calls)
        }.joined(separator: "\n")
    }
}
