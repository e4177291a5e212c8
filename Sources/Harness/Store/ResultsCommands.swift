// `metalora results ls|show|export|merge`: the store as text, CSV or JSON.
import Foundation

public enum ResultsCommands {
    /// One line per run: id, status, spec/method, budget, grid, seed, profile, hash, wall time, headline metrics.
    public static func ls(store: ResultsStore, status: String? = nil) throws -> String {
        var lines = ["id    status   spec/method                       budget  grid      seed  profile  hash          wall     headline"]
        for r in try store.runs(status: status) {
            let heads = try store.metrics(runID: r.id).filter { $0.subset == Registry.overallSubset && $0.metric == Registry.headlineMetric }
                .map { "\($0.benchmark)=\(String(format: "%.2f", $0.value * 100))" }.joined(separator: " ")
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
            lines.append(pad(String(r.id), 6) + pad(r.status, 9) + pad("\(r.spec)/\(r.methodLabel)", 34) + pad(r.budget, 8)
                         + pad(r.gridLabel ?? "-", 10) + pad(String(r.seed), 6) + pad(r.profile, 9) + pad(String(r.configHash.prefix(12)), 14)
                         + pad(r.wallSeconds.map { Runner.formatDuration($0) } ?? "-", 9) + (r.status == "failed" ? "error: \(r.error ?? "")" : heads))
        }
        return lines.joined(separator: "\n")
    }

    /// The trainer's record, one key per line; budget ids as a count and the first few ids per task.
    static func trainingRecordLines(_ record: [String: JSONValue]) -> String {
        var s = "training record:\n"
        for key in record.keys.sorted() {
            if key == "budget_ids", case .object(let byTask)? = record[key] {
                for task in byTask.keys.sorted() {
                    guard case .array(let ids)? = byTask[task] else { continue }
                    let head = ids.prefix(3).map(\.display).joined(separator: ", ")
                    s += "  budget_ids[\(task)]: \(ids.count) ids (\(head)\(ids.count > 3 ? ", …" : ""))\n"
                }
            } else {
                s += "  \(key): \(record[key]!.display)\n"
            }
        }
        return s
    }

    /// Everything about one run: configuration, counters, metrics, loss curve summary, artifacts.
    public static func show(store: ResultsStore, runID: Int64) throws -> String {
        guard let r = try store.run(id: runID) else { throw StoreError.unknownRun(runID) }
        var s = "run \(r.id): \(r.status)\n"
        s += "spec \(r.spec) (\(r.table)), method \(r.methodLabel) [\(r.method)], setting \(r.setting), budget \(r.budget), grid \(r.gridLabel ?? "-"), seed \(r.seed)\n"
        s += "profile \(r.profile), model \(r.modelPath) sha256 \(r.modelSHA256 ?? "?"), code \(r.codeVersion)\n"
        s += "config_hash \(r.configHash)\nconfig \(r.configJSON)\n"
        if !r.overrides.isEmpty { s += "profile overrides: \(r.overrides.joined(separator: "; "))\n" }
        s += "started \(r.startedAt), finished \(r.finishedAt ?? "-"), wall \(r.wallSeconds.map { String(format: "%.1f s", $0) } ?? "-"), pid \(r.pid.map(String.init) ?? "-") on \(r.host ?? "-")\n"
        s += "optimizer steps \(r.optimizerSteps.map(String.init) ?? "-"), samples \(r.samples.map(String.init) ?? "-"), tokens \(r.tokens.map(String.init) ?? "-")\n"
        if let e = r.error { s += "error: \(e)\n" }
        if case .object(let record)? = r.trainingRecord { s += trainingRecordLines(record) }
        let ms = try store.metrics(runID: r.id)
        if !ms.isEmpty { s += "metrics:\n" }
        for m in ms { s += "  \(m.benchmark)/\(m.subset) \(m.metric) = \(String(format: "%.4f", m.value)) (n=\(m.n))\n" }
        let loss = try store.lossCurve(runID: r.id)
        if let f = loss.first, let l = loss.last { s += "loss curve: \(loss.count) points, step \(f.step) \(String(format: "%.4f", f.loss)) → step \(l.step) \(String(format: "%.4f", l.loss))\n" }
        let samples = try store.samples(runID: r.id)
        if !samples.isEmpty { s += "samples: \(samples.count) records, \(samples.filter(\.correct).count) correct\n" }
        for a in try store.artifacts(runID: r.id) { s += "artifact \(a.kind): \(a.path)\n" }
        return s
    }

    /// Metrics of finished runs joined with their run's labels: one row per metric.
    public static func exportCSV(store: ResultsStore) throws -> String {
        let cols = ["run_id", "config_hash", "spec", "table", "method", "method_label", "setting", "budget", "grid", "seed", "profile",
                    "model", "code_version", "benchmark", "subset", "metric", "value", "n", "optimizer_steps", "samples", "tokens", "wall_s"]
        var out = cols.joined(separator: ",") + "\n"
        func q(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        for r in try store.runs(status: "done") {
            for m in try store.metrics(runID: r.id) {
                let f: [String] = [String(r.id), r.configHash, r.spec, r.table, r.method, r.methodLabel, r.setting, r.budget, r.gridLabel ?? "",
                                   String(r.seed), r.profile, r.modelPath, r.codeVersion, m.benchmark, m.subset, m.metric, "\(m.value)", String(m.n),
                                   r.optimizerSteps.map(String.init) ?? "", r.samples.map(String.init) ?? "", r.tokens.map(String.init) ?? "",
                                   r.wallSeconds.map { "\($0)" } ?? ""]
                out += f.map(q).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// Every run (any status) with its config and metrics, as one JSON array.
    public static func exportJSON(store: ResultsStore) throws -> String {
        var runs: [JSONValue] = []
        for r in try store.runs() {
            var o: [String: JSONValue] = [
                "id": .int(Int(r.id)), "config_hash": .string(r.configHash), "config": (try? JSONValue.parse(r.configJSON)) ?? .string(r.configJSON),
                "labels": (try? JSONValue.parse(r.labelsJSON)) ?? .null, "status": .string(r.status), "profile": .string(r.profile),
                "model": .string(r.modelPath), "model_sha256": r.modelSHA256.map(JSONValue.string) ?? .null, "code_version": .string(r.codeVersion),
                "started_at": .string(r.startedAt), "finished_at": r.finishedAt.map(JSONValue.string) ?? .null,
                "wall_s": r.wallSeconds.map(JSONValue.double) ?? .null, "optimizer_steps": r.optimizerSteps.map(JSONValue.int) ?? .null,
                "samples": r.samples.map(JSONValue.int) ?? .null, "tokens": r.tokens.map(JSONValue.int) ?? .null,
                "error": r.error.map(JSONValue.string) ?? .null, "training_record": r.trainingRecord ?? .null,
            ]
            o["metrics"] = .array(try store.metrics(runID: r.id).map {
                .object(["benchmark": .string($0.benchmark), "subset": .string($0.subset), "metric": .string($0.metric),
                         "value": .double($0.value), "n": .int($0.n), "settings": $0.settings])
            })
            runs.append(.object(o))
        }
        return JSONValue.array(runs).canonical
    }
}
