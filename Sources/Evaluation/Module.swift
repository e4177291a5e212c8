// Evaluation module: benchmark definitions as YAML (Benchmarks/, read by Definitions/),
// data-mirror loaders (Loading/), lm-evaluation-harness prompt construction (Prompts/), scoring
// and aggregation (Scoring/), reports, per-sample records and progress (Reporting/), the
// `EvaluationBackend` protocol (Backend/), the language-model backend with KV-cache prefix reuse
// (ModelBackend/), and the `Evaluator` that ties them together.
//
// Wiring (CLI `metalora eval`):
//   let def = try BenchmarkRegistry.definition(name: benchmark, variant: variant)   // variant: BBH only
//   let options = EvaluationOptions(dataDirectory: try DataDirectory.resolve(explicit: dataDir).existing(),
//                                   subsets: subsets, shots: shots, limit: limit,
//                                   progress: StderrProgressPrinter(label: benchmark))
//   let report = try Evaluator.run(def, backend: engineBackend, options: options)
//   try LMEvalSampleLog.write(report.samples, to: samplesDirectory)   // lm-eval --log_samples files
//   print(json ? String(decoding: try report.jsonData(), as: UTF8.self) : ReportTable.render(report))
//
// A backend implements `EvaluationBackend`: for each `LoglikelihoodRequest` it applies
// `EncodePair.tokenize` (lm-eval 0.4 `_encode_pair`), feeds contextIds + continuationIds and sums the
// continuation log-probs; `RequestGrouping.consecutiveByContext` finds the choices that share a
// context. Generation is greedy and cut at the first stop sequence.
//
// Per-subset adapters (LoRAHub in the harness): `FewShotTargets.examples` renders a subset's
// few-shot source (MMLU dev rows, BBH cot-prompt exemplars or instruct-eval's unscored leading
// items) as answered prompts in the subset's own template; `ModelBackend.encode` tokenizes them as
// scored requests are fed; `EvaluationOptions.beforeSubset` lets the caller switch the model's
// adapter before each subset is scored.
