import Foundation

/// The ratios the paper's claims rest on, as a plan resolves them on a profile, beside the
/// paper's: MeTA-LoRA's training samples against a full-data baseline's (Table 7: 64,000 against
/// the Table 3 full set), and a full-data pool per task against the small budget.
enum PlanProportions {
    /// Algorithm 1 at the paper's values: 1000 × 2 × (3·8 + 8) (appendix A.2, Table 7).
    static let paperMetaSamples = 64_000

    static func lines(_ cells: [ResolvedCell]) -> [String] {
        guard let first = cells.first, let setting = Registry.setting(first.setting) else { return [] }
        let seed = first.seed
        let episodic = cells.filter { $0.seed == seed && $0.descriptor.loop.isEpisodic }
        let full = cells.filter { $0.seed == seed && $0.budget == .full && $0.cost.trainSamples > 0 }
        guard let meta = episodic.first, let baseline = full.first else { return [] }
        func pct(_ a: Int, _ b: Int) -> String { b == 0 ? "?" : String(format: "%.1f%%", 100 * Double(a) / Double(b)) }
        let paperRatio = pct(paperMetaSamples, setting.paperFullSamples)
        var out = ["proportions (Table 7): \(meta.methodLabel) \(meta.cost.trainSamples) samples = \(pct(meta.cost.trainSamples, baseline.cost.trainSamples)) "
                   + "of \(baseline.methodLabel)'s \(baseline.cost.trainSamples) full-data samples (paper: \(paperMetaSamples) = \(paperRatio) of \(setting.paperFullSamples))"]
        if let budget = meta.examplesPerTask, let perTask = baseline.examplesPerTask, budget > 0 {
            let paperPerTask = setting.paperFullSamples / max(1, setting.taskCount)
            out.append("  full data \(perTask) per task = \(String(format: "%.1f", Double(perTask) / Double(budget)))× the budget of \(budget) "
                       + "(paper: \(paperPerTask) per task = \(paperPerTask / 50)× the budget of 50)")
        }
        let ratio = Double(meta.cost.trainSamples) / Double(max(1, baseline.cost.trainSamples))
        let paper = Double(paperMetaSamples) / Double(setting.paperFullSamples)
        if ratio > 2 * paper || ratio < paper / 2 {
            out.append("  warning: this profile's ratio is more than 2× from the paper's: a data-efficiency comparison on it does not reproduce Table 7's")
        }
        return out
    }
}
