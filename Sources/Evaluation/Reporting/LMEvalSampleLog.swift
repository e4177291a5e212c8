import Foundation
import Engine

/// Per-sample logs in lm-evaluation-harness 0.4's `--log_samples` format: one
/// `samples_<task>_<date>.jsonl` per task (here: per subset), one JSON object per line with the
/// fields lm-eval's `evaluator.evaluate` logs and `EvaluationTracker.save_results_samples` writes:
/// doc_id, doc, target (as str), arguments as {"gen_args_i": {"arg_j": …}}, resps and
/// filtered_resps with every leaf as Python's str() (`sanitize_list`), filter, metrics, one field
/// per metric, and the three hashes (`utils.hash_string` = sha256 hex of the UTF-8 text):
/// doc_hash of `json.dumps(doc, indent=2, ensure_ascii=False)`, prompt_hash of the first
/// request's first argument, target_hash of str(target).
public enum LMEvalSampleLog {
    /// The lm-eval task name a subset's file is named by: `<benchmark>[_<variant>]_<subset>`
    /// (lm-eval's own names for mmlu_<subject>, xcopa_<lang>, xstorycloze_<lang>, xwinograd_<lang>).
    public static func taskName(_ sample: SampleRecord) -> String {
        ([sample.benchmark] + (sample.variant.map { [$0] } ?? []) + [sample.subset]).joined(separator: "_")
    }

    /// lm-eval's `date_id`: `datetime.now().isoformat().replace(":", "-")`.
    public static func dateId(_ date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        // Python's isoformat prints microseconds; DateFormatter stops at milliseconds.
        let seconds = date.timeIntervalSince1970
        let micro = Int(((seconds - seconds.rounded(.down)) * 1_000_000).rounded(.down))
        return f.string(from: date) + "." + String(format: "%06d", micro)
    }

    /// Python's str() of a log-likelihood and of a bool.
    static func pyStr(_ d: Double) -> String { PythonJSON.floatRepr(d) }
    static func pyStr(_ b: Bool) -> String { b ? "True" : "False" }

    /// The sample's JSON object, fields in lm-eval's order, then our item id.
    public static func object(_ s: SampleRecord) -> PythonJSON {
        var arguments: [(String, PythonJSON)] = []
        for (i, args) in s.arguments.enumerated() {
            arguments.append(("gen_args_\(i)", .object(args.enumerated().map { ("arg_\($0)", $1) })))
        }
        let resps: [PythonJSON], filtered: [PythonJSON], filter: String
        if let lls = s.choiceLoglikelihoods {
            // Each request's resps is [(loglikelihood, is_greedy)]; the "none" filter takes the first.
            let greedy = s.choiceIsGreedy ?? Array(repeating: false, count: lls.count)
            let pairs: [PythonJSON] = zip(lls, greedy).map { .array([.string(pyStr($0)), .string(pyStr($1))]) }
            resps = pairs.map { .array([$0]) }
            filtered = pairs
            filter = "none"
        } else {
            let text = s.generated ?? ""
            resps = [.array([.string(text)])]
            // An answer-extraction rule plays the part of lm-eval's filter; without one the
            // generation is scored as is ("none").
            filter = s.filterName
            filtered = [.string(filter == "none" ? text : (s.extractedAnswer ?? ""))]
        }
        var fields: [(String, PythonJSON)] = [
            ("doc_id", .int(s.docId)), ("doc", s.doc), ("target", .string(s.lmEvalTarget)),
            ("arguments", .object(arguments)), ("resps", .array(resps)), ("filtered_resps", .array(filtered)),
            ("filter", .string(filter)), ("metrics", .array(s.metricNames.map { .string($0) })),
            ("doc_hash", .string(docHash(s.doc))),
            ("prompt_hash", .string(SHA256.hex(of: promptText(s)))),
            ("target_hash", .string(SHA256.hex(of: s.lmEvalTarget))),
        ]
        for name in s.metricNames { if let v = s.metricValue(name) { fields.append((name, .double(v))) } }
        fields.append(("metalora_item_id", .string(s.promptId)))
        return .object(fields)
    }

    /// sha256 of `json.dumps(doc, indent=2, ensure_ascii=False)`.
    public static func docHash(_ doc: PythonJSON) -> String { SHA256.hex(of: doc.dumps(indent: 2)) }

    /// `requests[0].arguments[0]`: the first request's context.
    static func promptText(_ s: SampleRecord) -> String {
        if case .string(let t)? = s.arguments.first?.first { return t }
        return ""
    }

    /// One line per sample, `json.dumps(sample, ensure_ascii=False)`.
    public static func jsonLines(_ samples: [SampleRecord]) -> Data {
        var out = Data()
        for s in samples { out.append(contentsOf: Array((object(s).dumps() + "\n").utf8)) }
        return out
    }

    /// Writes `directory/samples_<task>_<date>.jsonl` for each subset, in evaluation order, and
    /// returns the files written.
    @discardableResult
    public static func write(_ samples: [SampleRecord], to directory: URL, dateId: String = dateId()) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var order: [String] = []
        var byTask: [String: [SampleRecord]] = [:]
        for s in samples {
            let task = taskName(s)
            if byTask[task] == nil { order.append(task) }
            byTask[task, default: []].append(s)
        }
        return try order.map { task in
            let url = directory.appendingPathComponent("samples_\(task)_\(dateId).jsonl")
            try jsonLines(byTask[task]!).write(to: url, options: .atomic)
            return url
        }
    }
}
