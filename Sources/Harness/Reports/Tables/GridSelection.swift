import Foundation

/// Appendix A.1.2 says the paper reports its best results. As a declared protocol: a spec entry
/// with a `grid` and `select_best: held_out_loss` has every grid point trained (each its own cell,
/// shared with any sweep table that runs the same grid), and a table reports the point with the
/// lowest mean final held-out loss over seeds. The held-out loss is measured on each training
/// task's fixed held-out draw (validation items outside every budget), never on a benchmark's test
/// items, so the choice cannot leak test information into the reported number.
public enum GridSelection {
    public enum Criterion: String, CaseIterable, Sendable {
        /// The final held-out loss on the training tasks' held-out draws (lower is better).
        case heldOutLoss = "held_out_loss"
    }

    public struct Choice: Sendable, Equatable {
        public let methodLabel: String
        public let criterion: Criterion
        /// Mean criterion per grid label over the seeds that finished, with their count.
        public let scores: [(label: String, mean: Double?, seeds: Int)]
        /// nil while some grid point has no finished run: nothing is chosen from part of a grid.
        public let chosen: String?

        public static func == (a: Choice, b: Choice) -> Bool {
            a.methodLabel == b.methodLabel && a.chosen == b.chosen && a.scores.map(\.label) == b.scores.map(\.label)
                && a.scores.map(\.mean) == b.scores.map(\.mean)
        }

        /// One sentence for the caption and the deviation block.
        public var sentence: String {
            let list = scores.map { s in "\(s.label) \(s.mean.map { String(format: "%.4f", $0) } ?? "not run") (\(s.seeds) seed\(s.seeds == 1 ? "" : "s"))" }
            let head = "\(methodLabel): best of grid by mean final held-out loss on the training tasks' held-out draws (never test items): "
            return head + list.joined(separator: ", ") + "; " + (chosen.map { "reported: \($0)" } ?? "no choice until every grid point has a finished run") + "."
        }
    }

    /// The choices of every `select_best` entry of `spec`, from the finished runs of its planned cells.
    static func choices(spec: ExperimentSpec, planned: [ResolvedCell], store: ResultsStore) throws -> [String: Choice] {
        var out: [String: Choice] = [:]
        for entry in spec.methods {
            guard let criterion = entry.selectBest else { continue }
            var scores: [(label: String, mean: Double?, seeds: Int)] = []
            for point in entry.grid {
                var losses: [Double] = []
                for c in planned where c.methodLabel == entry.label && c.gridLabel == point.label {
                    guard let run = try store.doneRun(configHash: c.configHash) else { continue }
                    if let final = try store.lossCurve(runID: run.id).filter({ $0.split == "eval" }).max(by: { $0.step < $1.step })?.loss,
                       final.isFinite {
                        losses.append(final)
                    }
                }
                scores.append((point.label, losses.isEmpty ? nil : losses.reduce(0, +) / Double(losses.count), losses.count))
            }
            let complete = scores.allSatisfy { $0.mean != nil }
            let best = complete ? scores.min { $0.mean! < $1.mean! }?.label : nil
            out[entry.label] = Choice(methodLabel: entry.label, criterion: criterion, scores: scores, chosen: best)
        }
        return out
    }

    /// The caption's sentence when no entry selects: what the table does instead of A.1.2.
    static let noSelection = "No best-of-grid selection: each row reports the configuration its spec entry names (the paper reports its best results, appendix A.1.2; a spec entry may declare `select_best: held_out_loss` over a grid)."
}
