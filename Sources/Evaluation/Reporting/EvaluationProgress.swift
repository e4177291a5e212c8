import Foundation

/// Receives item-level progress from the evaluator.
public protocol EvaluationProgress: AnyObject {
    func update(subset: String, itemsDone: Int, itemsTotal: Int)
    func finish(itemsTotal: Int)
}

/// Prints "benchmark subset done/total items, items/s, ETA" to stderr at most twice a second.
public final class StderrProgressPrinter: EvaluationProgress {
    let label: String
    let start = Date()
    var lastPrint = Date.distantPast
    let minInterval: TimeInterval

    public init(label: String, minInterval: TimeInterval = 0.5) {
        self.label = label
        self.minInterval = minInterval
    }

    public static func line(label: String, subset: String, done: Int, total: Int, elapsed: TimeInterval) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .infinity
        return "\(label) \(subset) \(done)/\(total) items, " + String(format: "%.2f", rate) + " items/s, ETA \(format(eta))"
    }

    static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }

    public func update(subset: String, itemsDone: Int, itemsTotal: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= minInterval || itemsDone == itemsTotal else { return }
        lastPrint = now
        let text = Self.line(label: label, subset: subset, done: itemsDone, total: itemsTotal, elapsed: now.timeIntervalSince(start))
        FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
    }

    public func finish(itemsTotal: Int) {
        let elapsed = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(("\r\(label) done: \(itemsTotal) items in " + String(format: "%.1f", elapsed) + " s\u{1B}[K\n").utf8))
    }
}
