// `metalora results merge [--shards DIR]`: folds the finished runs of every shard into the main store.
// Atomic: every shard is read and checked first, and the runs are copied in one transaction, so a
// damaged or foreign shard leaves the store exactly as it was. Idempotent: a config already done
// in the store is not copied again. Safe while tasks still run: their unfinished rows are counted,
// not copied, and a later merge picks them up.
import Foundation

public struct MergeSummary: Equatable {
    public var shards = 0
    public var copied = 0
    public var alreadyPresent = 0
    /// Runs still running (or failed) in a shard: not merged.
    public var notDone = 0
    public init(shards: Int = 0, copied: Int = 0, alreadyPresent: Int = 0, notDone: Int = 0) {
        self.shards = shards; self.copied = copied; self.alreadyPresent = alreadyPresent; self.notDone = notDone
    }
}

public struct MergeRefused: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String {
        "merge refused, the store is unchanged: \(problems.count) problem(s)\n" + problems.map { "  " + $0 }.joined(separator: "\n")
    }
}

public enum ShardMerge {
    /// Every *.sqlite under `shardsDir` (one level of sweep folders deep). A shard beside a sweep.json
    /// must hold only that sweep's cells, run by the code version the sweep was written with.
    public static func merge(shardsDir: URL, into store: ResultsStore) throws -> MergeSummary {
        var s = MergeSummary()
        var problems: [String] = []
        var toCopy: [(RunRecord, CellOutcome)] = []
        for (file, manifest, manifestProblem) in shardFiles(shardsDir) {
            if let manifestProblem { problems.append(manifestProblem); continue }
            if URL(fileURLWithPath: file).standardizedFileURL.path == URL(fileURLWithPath: store.path).standardizedFileURL.path { continue }
            s.shards += 1
            do {
                let shard = try ResultsStore(path: file)
                let cells = manifest.map { Set($0.cells.map(\.configHash)) }
                let runs = try shard.runs()
                let finished = Set(runs.filter { $0.status == "done" }.map(\.configHash))
                for run in runs {
                    // A cell interrupted or failed and then finished by a later attempt is not unfinished.
                    guard run.status == "done" else { if !finished.contains(run.configHash) { s.notDone += 1 }; continue }
                    if let m = manifest, let cells, !cells.contains(run.configHash) {
                        problems.append("\(file): run \(run.id) (\(run.spec)/\(run.methodLabel), hash \(run.configHash.prefix(12))) is not a cell of spec \(m.spec) on profile \(m.profile) as \(m.shardDirectory)/\(SweepManifest.fileName) lists them: it comes from another spec, profile or plan")
                        continue
                    }
                    if let m = manifest, run.codeVersion != m.codeVersion {
                        problems.append("\(file): run \(run.id) ran code version \(run.codeVersion), but the sweep was written at \(m.codeVersion): results of other code cannot join this sweep's (remove that shard and submit the sweep again to rerun the cell)")
                        continue
                    }
                    toCopy.append((run, try shard.outcome(of: run)))
                }
            } catch {
                problems.append("\(file): \(error)")
            }
        }
        if !problems.isEmpty { throw MergeRefused(problems: problems) }
        for copied in try store.importDoneRuns(toCopy) { if copied { s.copied += 1 } else { s.alreadyPresent += 1 } }
        return s
    }

    /// (shard path, the manifest of its folder if any, why that manifest is unreadable), in path order.
    static func shardFiles(_ dir: URL) -> [(String, SweepManifest?, String?)] {
        var out: [(String, SweepManifest?, String?)] = []
        func scan(_ d: URL, depth: Int) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: d.path)) ?? []).sorted()
            let manifestURL = d.appendingPathComponent(SweepManifest.fileName)
            var manifest: SweepManifest?, problem: String?
            if FileManager.default.fileExists(atPath: manifestURL.path) {
                do { manifest = try SweepManifest.read(manifestURL) } catch { problem = "\(error)" }
            }
            for n in names {
                let u = d.appendingPathComponent(n)
                var isDir: ObjCBool = false
                FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir)
                if isDir.boolValue { if depth == 0 { scan(u, depth: 1) } } else if n.hasSuffix(".sqlite") { out.append((u.path, manifest, problem)) }
            }
        }
        scan(dir, depth: 0)
        return out
    }
}
