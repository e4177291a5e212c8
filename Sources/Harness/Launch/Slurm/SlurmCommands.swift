// The Slurm client programs a sweep calls (sbatch, squeue, sacct), run without a shell: argument
// vectors, never command strings. Their own messages are passed on when they fail.
import Foundation

public enum SlurmError: Error, CustomStringConvertible {
    case missing(program: String)
    case failed(program: String, status: Int32, message: String)
    case unexpectedOutput(program: String, output: String)
    public var description: String {
        switch self {
        case .missing(let p): return "\(p) is not on PATH: is this a Slurm login node? (use --dry-run to only write the script)"
        case .failed(let p, let status, let m): return "\(p) failed (exit \(status)): \(m.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .unexpectedOutput(let p, let o): return "\(p) printed no job id: \(o)"
        }
    }
}

public enum SlurmClient {
    /// Runs `program args…` found on PATH; (exit status, stdout, stderr).
    static func run(_ program: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        guard let exe = which(program) else { throw SlurmError.missing(program: program) }
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func which(_ program: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent(program)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// `sbatch --parsable [--array=LIST] SCRIPT`: the job id.
    public static func submit(script: String, array: String?) throws -> String {
        var args = ["--parsable"]
        if let a = array { args.append("--array=\(a)") }
        args.append(script)
        let r = try run("sbatch", args)
        guard r.status == 0 else { throw SlurmError.failed(program: "sbatch", status: r.status, message: r.err.isEmpty ? r.out : r.err) }
        // --parsable prints "jobid" or "jobid;cluster".
        let id = r.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw SlurmError.unexpectedOutput(program: "sbatch", output: r.out + r.err) }
        return id
    }

    /// Array tasks of `jobs` still queued or running, by array index: "PENDING" or "RUNNING" (squeue's states).
    public static func queued(jobs: [String]) throws -> [Int: String] {
        guard !jobs.isEmpty else { return [:] }
        let r = try run("squeue", ["--noheader", "--array", "--jobs=\(jobs.joined(separator: ","))", "--format=%i|%T"])
        // squeue exits non-zero for job ids it no longer knows: then nothing of them is queued.
        if r.status != 0 { return [:] }
        var out: [Int: String] = [:]
        for line in r.out.split(separator: "\n") {
            let parts = line.split(separator: "|")
            guard parts.count == 2 else { continue }
            out.merge(arrayIndices(String(parts[0])).map { ($0, String(parts[1])) }, uniquingKeysWith: { a, _ in a })
        }
        return out
    }

    /// Final states of finished array tasks from sacct, when accounting is enabled; empty otherwise.
    public static func finished(jobs: [String]) -> [Int: String] {
        guard !jobs.isEmpty, let r = try? run("sacct", ["--noheader", "--parsable2", "--jobs=\(jobs.joined(separator: ","))", "--format=JobID,State"]),
              r.status == 0 else { return [:] }
        var out: [Int: String] = [:]
        for line in r.out.split(separator: "\n") {
            let parts = line.split(separator: "|")
            guard parts.count == 2, !parts[0].contains(".") else { continue }
            for i in arrayIndices(String(parts[0])) { out[i] = String(parts[1].split(separator: " ").first ?? parts[1]) }
        }
        return out
    }

    /// "123_4" → [4]; "123_[0-2,5%2]" → [0, 1, 2, 5]; a job id without an index → [].
    static func arrayIndices(_ jobID: String) -> [Int] {
        guard let u = jobID.firstIndex(of: "_") else { return [] }
        var rest = String(jobID[jobID.index(after: u)...])
        rest = rest.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if let pct = rest.firstIndex(of: "%") { rest = String(rest[..<pct]) }
        var out: [Int] = []
        for part in rest.split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            if ends.count == 1 { out.append(ends[0]) } else if ends.count == 2, ends[0] <= ends[1] { out += Array(ends[0]...ends[1]) }
        }
        return out
    }

    /// Indices as sbatch's --array list: [0, 1, 2, 5] → "0-2,5".
    public static func arrayList(_ indices: [Int]) -> String {
        var parts: [String] = [], i = 0
        let s = indices.sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }
}
