import Data

/// A training run whose per-task budgets are picked for a target instead of drawn at random
/// (Table 13: BM25 or DSIR top-k per task, then plain training on them). The count is the run's
/// `budgetPerTask`, so a selected budget is sized, checked and recorded like a random one.
public struct TrainingDataSelection: Sendable {
    public var method: SelectionMethod
    public var target: SelectionTarget

    public init(method: SelectionMethod, target: SelectionTarget) {
        self.method = method
        self.target = target
    }
}
