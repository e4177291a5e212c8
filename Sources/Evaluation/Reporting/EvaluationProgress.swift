import Foundation

/// Receives item-level progress from the evaluator.
public protocol EvaluationProgress: AnyObject {
    func update(subset: String, itemsDone: Int, itemsTotal: Int)
    /// The same with the token positions the backend has run through the model so far (0 when it
    /// does not count them).
    func update(subset: String, itemsDone: Int, itemsTotal: Int, tokensDone: Int)
    func finish(itemsTotal: Int)
}

public extension EvaluationProgress {
    func update(subset: String, itemsDone: Int, itemsTotal: Int, tokensDone: Int) {
        update(subset: subset, itemsDone: itemsDone, itemsTotal: itemsTotal)
    }
}

/// Prints "benchmark subset done/total items, items/s, tokens/s, ETA" to stderr at most twice a second.
public final class StderrProgressPrinter: EvaluationProgress {
    let label: String
    let start = Date()
    var lastPrint = Date.distantPast
    var tokensDone = 0
    let minInterval: TimeInterval

    public init(label: String, minInterval: TimeInterval = 0.5) {
        self.label = label
        self.minInterval = minInterval
    }

    public static func line(label: String, subset: String, done: Int, total: Int, elapsed: TimeInterval, tokens: Int = 0) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .infinity
        let tokenRate = tokens > 0 && elapsed > 0 ? String(format: ", %.0f tokens/s", Double(tokens) / elapsed) : ""
        return "\(label) \(subset) \(done)/\(total) items, " + String(format: "%.2f", rate) + " items/s\(tokenRate), ETA \(format(eta))"
    }

    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }

    public func update(subset: String, itemsDone: Int, itemsTotal: Int) {
        update(subset: subset, itemsDone: itemsDone, itemsTotal: itemsTotal, tokensDone: tokensDone)
    }

    public func update(subset: String, itemsDone: Int, itemsTotal: Int, tokensDone: Int) {
        self.tokensDone = tokensDone
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= minInterval || itemsDone == itemsTotal else { return }
        lastPrint = now
        let text = Self.line(label: label, subset: subset, done: itemsDone, total: itemsTotal, elapsed: now.timeIntervalSince(start),
                             tokens: tokensDone)
        FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
    }

    public func finish(itemsTotal: Int) {
        let elapsed = Date().timeIntervalSince(start)
        let tokens = tokensDone > 0 && elapsed > 0 ? String(format: ", %d tokens (%.0f/s)", tokensDone, Double(tokensDone) / elapsed) : ""
        FileHandle.standardError.write(Data(("\r\(label) done: \(itemsTotal) items in " + String(format: "%.1f", elapsed) + " s\(tokens)\u{1B}[K\n").utf8))
    }
}
