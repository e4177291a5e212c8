import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rates and ETAs for progress lines, and where those lines may go. A rate is shown only once
/// enough time has passed for it to mean something: a first update a few microseconds after the
/// start would otherwise read "1398101.33/s".
public enum ProgressRate {
    /// Seconds of work before a rate (and an ETA from it) is shown.
    public static let minimumSeconds = 2.0

    /// `done` per second, or nil before `minimumSeconds` have passed or while nothing is done.
    public static func perSecond(_ done: Double, elapsed: Double) -> Double? {
        elapsed >= minimumSeconds && done > 0 ? done / elapsed : nil
    }

    /// Seconds left at `rate`, or nil without a rate.
    public static func eta(remaining: Double, rate: Double?) -> Double? {
        rate.map { max(0, remaining) / $0 }
    }

    /// Standard error is a terminal: progress may redraw one line with `\r`. Otherwise (a log
    /// file, a pipe) it writes plain lines, and only now and then.
    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}
