// Evaluation module: benchmark definitions (Definitions/), data-mirror loaders (Loading/),
// lm-evaluation-harness prompt construction (Prompts/), scoring and aggregation (Scoring/),
// reports, per-sample records and progress (Reporting/), and the `Evaluator` that ties them
// to an `EvaluationBackend` (Backend/) — the neural scoring engine lives outside this module.
