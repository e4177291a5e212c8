// The sbatch array script of a sweep. It holds no spec string: every value a spec or the command
// line chose is either a checked name (job name, partition, account, QoS, time, memory) or a path
// in single quotes, and the task reads its cell from sweep.json (SweepManifest).
import Foundation

public enum SlurmScript {
    /// `s` as one single-quoted shell word: nothing inside is expanded.
    public static func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }

    /// Paths in `#SBATCH` lines are not shell-parsed: sbatch splits them at white space.
    static func directivePath(_ path: String, what: String) throws -> String {
        if path.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "\\" }) {
            throw SpecError(file: "sweep", line: 0, field: what, message: "the path '\(path)' holds white space or quotes, which an #SBATCH line cannot carry; run the sweep from a folder without them")
        }
        return path
    }

    /// The array script: task i runs `metalora slurm-task MANIFEST` with SLURM_ARRAY_TASK_ID = i.
    /// `resources.time`, `.mem` and `.cpusPerTask` must be filled in (plan's estimate by default).
    public static func text(manifest: SweepManifest, manifestPath: String, resources r: SlurmResources, executable: String) throws -> String {
        precondition(!manifest.cells.isEmpty, "no cells to run")
        guard SlurmResources.nameProblem(manifest.spec) == nil, SlurmResources.nameProblem(manifest.profile) == nil else {
            throw SpecError(file: manifest.specPath, line: 0, field: "name", message: SlurmResources.nameProblem(manifest.spec) ?? SlurmResources.nameProblem(manifest.profile)!)
        }
        _ = try r.validated()
        let output = try directivePath(manifest.shardDirectory, what: "output")
        var s = "#!/bin/bash\n"
        s += "# Written by metalora sweep --backend slurm: \(manifest.cells.count) cells of spec \(manifest.spec) on profile \(manifest.profile).\n"
        s += "# Task i runs the cell sweep.json lists at index i, found by its config hash; a cell already done\n"
        s += "# in the main store or in any shard is skipped. Merge with: metalora results merge --shards \(output)\n"
        s += "#SBATCH --job-name=metalora-\(manifest.spec)-\(manifest.profile)\n"
        s += "#SBATCH --array=0-\(manifest.cells.count - 1)\(r.throttle.map { "%\($0)" } ?? "")\n"
        if let c = r.cpusPerTask { s += "#SBATCH --cpus-per-task=\(c)\n" }
        if let t = r.time { s += "#SBATCH --time=\(t)\n" }
        if let m = r.mem { s += "#SBATCH --mem=\(m)\n" }
        if let p = r.partition { s += "#SBATCH --partition=\(p)\n" }
        if let a = r.account { s += "#SBATCH --account=\(a)\n" }
        if let q = r.qos { s += "#SBATCH --qos=\(q)\n" }
        s += "#SBATCH --output=\(output)/slurm-%A_%a.out\n"
        s += "set -euo pipefail\n"
        s += "cd \(shellQuoted(manifest.root))\n"
        s += "metalora_default=\(shellQuoted(executable))\n"
        s += "METALORA=\"${METALORA:-$metalora_default}\"\n"
        s += "export METALORA_THREADS=\"${SLURM_CPUS_PER_TASK:-\(r.cpusPerTask ?? 1)}\"\n"
        s += "export OPENBLAS_NUM_THREADS=\"$METALORA_THREADS\"\n"
        s += "exec \"$METALORA\" slurm-task \(shellQuoted(manifestPath))\n"
        return s
    }
}
