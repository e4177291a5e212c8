import Foundation
import struct Data.DataDirectory
import XCTest
import Evaluation

/// The per-sample logs against Python itself: `json.dumps(doc, indent=2, ensure_ascii=False)` and
/// the sha256 hashes are recomputed by python3 from what we wrote, and each file is read back
/// line by line with `json.loads` and checked for the fields lm-eval's readers use.
final class LMEvalSampleLogTests: XCTestCase {
    /// Runs `python3 -c script` with `input` on stdin; stdout, or a skip when python3 is absent.
    func python(_ script: String, input: String = "", arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin; process.standardOutput = stdout; process.standardError = stderr
        do { try process.run() } catch { throw XCTSkip("python3 is not available: \(error)") }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationReason == .exit, process.terminationStatus == 127 { throw XCTSkip("python3 is not available") }
        XCTAssertEqual(process.terminationStatus, 0, "python3 failed: \(String(decoding: err, as: UTF8.self))")
        return String(decoding: out, as: UTF8.self)
    }

    /// A doc with what makes json.dumps differ from naive printing: key order, non-ASCII (kept
    /// by ensure_ascii=False), escapes and control characters, nested and empty containers,
    /// floats (1.0, 1e-05, 1e+16), ints and null.
    static let trickyDoc = #"{"zeta": "Ese kukkus. \"quoted\" back\\slash / tab\tnl\nctl\u0001 ü 中 😀", "alpha": [1, 2.5, 1.0, 1e-05, 1e16, 12345678901234567, -0.0, true, false, null], "mid": {"b": [], "a": {}, "n": {"x": [[]]}}, "answer": 3}"#

    func testDumpsAndDocHashMatchPython() throws {
        let doc = try PythonJSON.parse(Self.trickyDoc)
        guard case .object(let pairs) = doc else { return XCTFail("not an object") }
        XCTAssertEqual(pairs.map(\.0), ["zeta", "alpha", "mid", "answer"], "key order is kept")
        let script = """
        import sys, json, hashlib
        d = json.loads(sys.stdin.read())
        s = json.dumps(d, indent=2, ensure_ascii=False)
        print(json.dumps({"indented": s, "compact": json.dumps(d, ensure_ascii=False),
                          "hash": hashlib.sha256(s.encode("utf-8")).hexdigest()}))
        """
        let py = try JSONSerialization.jsonObject(with: Data(try python(script, input: Self.trickyDoc).utf8)) as! [String: String]
        XCTAssertEqual(doc.dumps(indent: 2), py["indented"])
        XCTAssertEqual(doc.dumps(), py["compact"])
        XCTAssertEqual(LMEvalSampleLog.docHash(doc), py["hash"])
        // Our own output parses back to the same value.
        XCTAssertEqual(try PythonJSON.parse(doc.dumps(indent: 2)), doc)
    }

    func testDateIdIsLMEvalsIsoformatWithColonsReplaced() throws {
        let id = LMEvalSampleLog.dateId(Date(timeIntervalSince1970: 1_700_000_000.25))
        XCTAssertNotNil(id.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{6}$"#, options: .regularExpression), id)
        XCTAssertTrue(id.hasSuffix(".250000"), id)
    }

    func testParseRejectsBadJSONWithOffset() {
        XCTAssertThrowsError(try PythonJSON.parse(#"{"a": [1, 2}"#)) { XCTAssertTrue("\($0)".contains("byte 11"), "\($0)") }
        XCTAssertThrowsError(try PythonJSON.parse(#"{"a": "unterminated}"#))
        XCTAssertThrowsError(try PythonJSON.parse("[1] x"))
    }

    /// An MMLU run (log-likelihood), an XCOPA run (non-ASCII JSONL rows kept as read) and a BBH
    /// run (generation) written as lm-eval files, then checked by python3 line by line.
    func testFilesReadBackByPythonWithLMEvalFieldsAndHashes() throws {
        let tmp = try TempDataDirectory()
        let header = "question,choice0,choice1,choice2,choice3,answer\n"
        let dev = header + (1...5).map { "dev \($0),a,b,c,d,\($0 % 4)" }.joined(separator: "\n") + "\n"
        try tmp.write("mmlu/dev/anatomy_dev.csv", dev)
        try tmp.write("mmlu/test/anatomy_test.csv", header + "pick B,a,b,c,d,1\n\"multi\nline\",a,b,c,d,3\npick A,a,b,c,d,0\n")
        try tmp.write("xcopa/et/test.et.jsonl",
                      #"{"premise": "Ese kukkus.", "choice1": "Pikk ja õige.", "choice2": "Lühike.", "question": "effect", "idx": 1, "label": 0}"# + "\n"
                      + #"{"premise": "Mees naeris.", "choice1": "Nali.", "choice2": "Vihm.", "question": "cause", "idx": 2, "label": 1}"# + "\n")
        try tmp.write("bbh/tasks/object_counting.json", #"{"examples": [{"input": "n0", "target": "8"}, {"input": "n1", "target": "12"}]}"#)
        try tmp.write("bbh/cot-prompts/object_counting.txt", "canary\n-----\nCount.\n\n"
                      + "Q: a?\nA: Let's think step by step.\nOne. So the answer is 1.\n\n"
                      + "Q: b?\nA: Let's think step by step.\nTwo. So the answer is 2.\n\n"
                      + "Q: c?\nA: Let's think step by step.\nThree. So the answer is 3.")
        let backend = ScriptedBackend(loglikelihood: { req in
            if req.context.hasSuffix("pick B\nA. a\nB. b\nC. c\nD. d\nAnswer:") { return req.continuation == " B" ? -0.5 : -2 }
            return req.continuation.count > 5 ? -1.5 : -2.25
        }, generation: { _ in "8" })
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lmeval-samples-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        var samples: [SampleRecord] = []
        var mmluDef = try BenchmarkRegistry.definition(name: "mmlu")
        mmluDef.subsets = mmluDef.subsets.filter { $0.name == "anatomy" }
        samples += try Evaluator.run(mmluDef, backend: backend, options: EvaluationOptions(dataDirectory: tmp.data)).samples
        samples += try Evaluator.run(try BenchmarkRegistry.definition(name: "xcopa"), backend: backend,
                                     options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["et"], shots: 0)).samples
        samples += try Evaluator.run(try BenchmarkRegistry.definition(name: "bbh"), backend: backend,
                                     options: EvaluationOptions(dataDirectory: tmp.data, subsets: ["object_counting"], shots: 3)).samples
        let files = try LMEvalSampleLog.write(samples, to: out, dateId: "2026-12-02T20-00-00.000000")
        XCTAssertEqual(files.map(\.lastPathComponent), ["samples_mmlu_anatomy_2026-12-02T20-00-00.000000.jsonl",
                                                      "samples_xcopa_et_2026-12-02T20-00-00.000000.jsonl",
                                                      "samples_bbh_direct_object_counting_2026-12-02T20-00-00.000000.jsonl"])
        // The reader: json.loads per line, lm-eval's field set, the hashes recomputed from the
        // line's own doc / arguments / target exactly as evaluator.py computes them.
        let script = """
        import sys, json, hashlib
        h = lambda s: hashlib.sha256(s.encode("utf-8")).hexdigest()
        required = ["doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
                    "doc_hash", "prompt_hash", "target_hash"]
        report = {}
        for path in sys.argv[1:]:
            rows = []
            with open(path, encoding="utf-8") as f:
                for line in f:
                    s = json.loads(line)
                    missing = [k for k in required + s["metrics"] if k not in s]
                    args = s["arguments"]
                    first = args["gen_args_0"]["arg_0"]
                    rows.append({
                        "missing": missing,
                        "doc_ok": s["doc_hash"] == h(json.dumps(s["doc"], indent=2, ensure_ascii=False)),
                        "prompt_ok": s["prompt_hash"] == h(first),
                        "target_ok": s["target_hash"] == h(str(s["target"])),
                        "args_layout": sorted(args.keys()) == sorted("gen_args_%d" % i for i in range(len(args)))
                                       and all(sorted(a.keys()) == sorted("arg_%d" % j for j in range(len(a))) for a in args.values()),
                        "doc_id": s["doc_id"], "target": s["target"], "filter": s["filter"], "metrics": s["metrics"],
                        "values": [s[m] for m in s["metrics"]], "resps": s["resps"], "filtered": s["filtered_resps"],
                        "doc_keys": list(s["doc"].keys()), "n_args": len(args),
                        "line_is_python_dumps": line.rstrip("\\n") == json.dumps(s, ensure_ascii=False),
                    })
            report[path.rsplit("/", 1)[-1].split("_2026")[0]] = rows
        print(json.dumps(report))
        """
        let text = try python(script, arguments: files.map(\.path))
        let report = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: [[String: Any]]]
        for (task, rows) in report {
            for (i, row) in rows.enumerated() {
                let label = "\(task) line \(i + 1)"
                XCTAssertEqual(row["missing"] as? [String], [], label)
                for check in ["doc_ok", "prompt_ok", "target_ok", "args_layout", "line_is_python_dumps"] {
                    XCTAssertEqual(row[check] as? Bool, true, "\(label): \(check)")
                }
                XCTAssertEqual(row["doc_id"] as? Int, i, "\(label): doc_id is the 0-based row index")
            }
        }
        let mmlu = try XCTUnwrap(report["samples_mmlu_anatomy"])
        XCTAssertEqual(mmlu.count, 3)
        XCTAssertEqual(mmlu[0]["doc_keys"] as? [String], ["question", "subject", "choices", "answer"])
        XCTAssertEqual(mmlu.map { $0["target"] as? String }, ["1", "3", "0"])
        XCTAssertEqual(mmlu[0]["n_args"] as? Int, 4)
        XCTAssertEqual(mmlu[0]["metrics"] as? [String], ["acc"])
        XCTAssertEqual(mmlu[0]["values"] as? [Double], [1])
        XCTAssertEqual(mmlu[0]["filter"] as? String, "none")
        // resps: per request [[str(ll), str(is_greedy)]]; filtered_resps: per request [str(ll), str(is_greedy)].
        XCTAssertEqual((mmlu[0]["resps"] as? [[[String]]])?[1], [["-0.5", "False"]])
        XCTAssertEqual((mmlu[0]["filtered"] as? [[String]])?[0], ["-2.0", "False"])
        let xcopa = try XCTUnwrap(report["samples_xcopa_et"])
        XCTAssertEqual(xcopa[0]["doc_keys"] as? [String], ["premise", "choice1", "choice2", "question", "idx", "label"], "the JSONL row as read")
        XCTAssertEqual(xcopa[0]["metrics"] as? [String], ["acc", "acc_norm"])
        let bbh = try XCTUnwrap(report["samples_bbh_direct_object_counting"])
        XCTAssertEqual(bbh.map { $0["target"] as? String }, ["8", "12"])
        XCTAssertEqual(bbh.map { $0["values"] as? [Double] }, [[1], [0]])
        XCTAssertEqual(bbh[0]["resps"] as? [[String]], [["8"]])
        XCTAssertEqual(bbh[0]["doc_keys"] as? [String], ["input", "target"])
    }
}
