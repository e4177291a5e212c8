// What a Slurm array asks for: partition, account, QoS, time limit, CPUs and memory per task, and
// how many tasks may run at once (the array throttle `%N`). Values come, later ones winning, from
// the profile's `slurm:` block, the spec's `slurm:` block and the command line; a time or memory
// left unset is filled from plan's estimate. Every value is checked before it reaches a script.
import Foundation

public struct SlurmResources: Equatable, Sendable {
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Slurm's time format: MM, HH:MM:SS or D-HH:MM:SS.
    public var time: String?
    public var cpusPerTask: Int?
    /// Slurm's memory format: a number with an optional K/M/G/T suffix (MiB when bare).
    public var mem: String?
    /// At most this many array tasks at once.
    public var throttle: Int?

    public init(partition: String? = nil, account: String? = nil, qos: String? = nil, time: String? = nil,
                cpusPerTask: Int? = nil, mem: String? = nil, throttle: Int? = nil) {
        self.partition = partition; self.account = account; self.qos = qos; self.time = time
        self.cpusPerTask = cpusPerTask; self.mem = mem; self.throttle = throttle
    }

    public static let keys = ["partition", "account", "qos", "time", "cpus_per_task", "mem", "throttle"]

    /// `other`'s values where it has one, ours elsewhere.
    public func overridden(by other: SlurmResources) -> SlurmResources {
        SlurmResources(partition: other.partition ?? partition, account: other.account ?? account, qos: other.qos ?? qos,
                       time: other.time ?? time, cpusPerTask: other.cpusPerTask ?? cpusPerTask, mem: other.mem ?? mem,
                       throttle: other.throttle ?? throttle)
    }

    /// A `slurm:` block of a spec or profile.
    static func parse(_ f: YAMLField) throws -> SlurmResources {
        let m = try f.mapping(required: [], optional: keys)
        func name(_ k: String) throws -> String? {
            guard let v = m[k], !v.isNull else { return nil }
            let s = try v.string()
            if let why = SlurmResources.nameProblem(s) { throw v.error(why) }
            return s
        }
        func positive(_ k: String) throws -> Int? {
            guard let v = m[k], !v.isNull else { return nil }
            let n = try v.int(); if n < 1 { throw v.error("must be ≥ 1") }; return n
        }
        var r = SlurmResources(partition: try name("partition"), account: try name("account"), qos: try name("qos"),
                               cpusPerTask: try positive("cpus_per_task"), throttle: try positive("throttle"))
        if let v = m["time"], !v.isNull {
            let s = try v.string(); if let why = timeProblem(s) { throw v.error(why) }; r.time = s
        }
        if let v = m["mem"], !v.isNull {
            let s = try v.string(); if let why = memProblem(s) { throw v.error(why) }; r.mem = s
        }
        return r
    }

    /// Names that go into a script or an sbatch argument: letters, digits, '.', '_' and '-' only,
    /// so no value can end a line or start a shell word.
    public static func nameProblem(_ s: String) -> String? {
        let ok = !s.isEmpty && s.unicodeScalars.allSatisfy { CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-").contains($0) }
        return ok ? nil : "'\(s.debugDescription.dropFirst().dropLast())' is not a valid name: use only letters, digits, '.', '_' and '-'"
    }

    public static func timeProblem(_ s: String) -> String? {
        let pattern = #"^([0-9]+-)?[0-9]+(:[0-9]{1,2}){0,2}$"#
        return s.range(of: pattern, options: .regularExpression) != nil ? nil
            : "time '\(s.debugDescription.dropFirst().dropLast())' is not in Slurm's format (MM, HH:MM:SS or D-HH:MM:SS)"
    }

    public static func memProblem(_ s: String) -> String? {
        s.range(of: #"^[0-9]+[KMGT]?$"#, options: .regularExpression) != nil ? nil
            : "memory '\(s.debugDescription.dropFirst().dropLast())' is not in Slurm's format (e.g. 4000M or 16G)"
    }

    /// Checks every value given on the command line (spec and profile values were checked at parse).
    public func validated() throws -> SlurmResources {
        func fail(_ field: String, _ why: String) -> SpecError { SpecError(file: "sweep", line: 0, field: field, message: why) }
        for (k, v) in [("partition", partition), ("account", account), ("qos", qos)] {
            if let v, let why = SlurmResources.nameProblem(v) { throw fail(k, why) }
        }
        if let t = time, let why = SlurmResources.timeProblem(t) { throw fail("time", why) }
        if let m = mem, let why = SlurmResources.memProblem(m) { throw fail("mem", why) }
        if let c = cpusPerTask, c < 1 { throw fail("cpus-per-task", "must be ≥ 1") }
        if let t = throttle, t < 1 { throw fail("throttle", "must be ≥ 1") }
        return self
    }

    /// Seconds as D-HH:MM:SS, rounded up to the minute.
    public static func formatTime(seconds: Double) -> String {
        let minutes = max(1, Int((seconds / 60).rounded(.up)))
        let d = minutes / 1440, h = (minutes % 1440) / 60, m = minutes % 60
        return d > 0 ? String(format: "%d-%02d:%02d:00", d, h, m) : String(format: "%02d:%02d:00", h, m)
    }

    /// Bytes as whole MiB, rounded up ("2345M").
    public static func formatMem(bytes: Double) -> String { "\(max(1, Int((bytes / 1_048_576).rounded(.up))))M" }
}
