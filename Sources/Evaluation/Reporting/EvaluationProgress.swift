import Foundation
import Engine

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

/// Progress on stderr. On a terminal, one line redrawn with `\r` at most twice a second; in a log
/// file or a pipe, a plain line at most every `plainInterval` seconds (and the final line), so logs
/// hold no carriage returns. Rates appear once `ProgressRate.minimumSeconds` have passed.
public final class StderrProgressPrinter: EvaluationProgress {
    let label: String
    let start = Date()
    var lastPrint = Date.distantPast
    var tokensDone = 0
    let minInterval: TimeInterval
    let terminal: Bool
    let write: (String) -> Void

    public init(label: String, minInterval: TimeInterval = 0.5, plainInterval: TimeInterval = 30,
                terminal: Bool = ProgressRate.stderrIsTerminal,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.minInterval = terminal ? minInterval : plainInterval
        self.terminal = terminal
        self.write = write
    }

    public static func line(label: String, subset: String, done: Int, total: Int, elapsed: TimeInterval, tokens: Int = 0) -> String {
        let rate = ProgressRate.perSecond(Double(done), elapsed: elapsed)
        let eta = ProgressRate.eta(remaining: Double(total - done), rate: rate) ?? .infinity
        let itemRate = rate.map { ", " + String(format: "%.2f", $0) + " items/s" } ?? ""
        let tokenRate = ProgressRate.perSecond(Double(tokens), elapsed: elapsed).map { String(format: ", %.0f tokens/s", $0) } ?? ""
        return "\(label) \(subset) \(done)/\(total) items\(itemRate)\(tokenRate), ETA \(format(eta))"
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
        // In a log, a subset's last item is not worth a line of its own: `finish` writes the total.
        guard now.timeIntervalSince(lastPrint) >= minInterval || (terminal && itemsDone == itemsTotal) else { return }
        lastPrint = now
        let text = Self.line(label: label, subset: subset, done: itemsDone, total: itemsTotal, elapsed: now.timeIntervalSince(start),
                             tokens: tokensDone)
        write(terminal ? "\r" + text + "\u{1B}[K" : text + "\n")
    }

    public func finish(itemsTotal: Int) {
        let elapsed = Date().timeIntervalSince(start)
        let tokens = tokensDone > 0 && elapsed > 0 ? String(format: ", %d tokens (%.0f/s)", tokensDone, Double(tokensDone) / elapsed) : ""
        let text = "\(label) done: \(itemsTotal) items in " + String(format: "%.1f", elapsed) + " s\(tokens)"
        write(terminal ? "\r" + text + "\u{1B}[K\n" : text + "\n")
    }
}
