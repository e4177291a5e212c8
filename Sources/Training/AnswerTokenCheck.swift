import Foundation
import Data

/// Right truncation to the maximum length can cut an example down to its prompt: it then has no
/// answer token and trains nothing. A few such examples only waste compute; many shrink the
/// budget silently; all of them make every step's loss 0 and the held-out loss NaN. This check
/// runs before any compute.
extension TrainingTasks {
    /// Above this share of budget examples without answer tokens the run warns: the budget is
    /// then noticeably smaller than the one asked for.
    public static let answerCutWarningShare = 0.05

    /// Throws when no budget example of the run, or of one task, or no held-out example keeps an
    /// answer token; returns a warning when more than `answerCutWarningShare` of the budget lost
    /// all of theirs (nil otherwise).
    public func checkAnswerTokens() throws -> String? {
        let maxLength = truncation.maxLength
        let setting = TruncationReport.settingName
        let cut = truncation.withoutResponseTokens, total = truncation.total
        if total > 0 && cut == total {
            throw TrainingError.answersCut("all \(total) training examples lose every answer token at a maximum length of \(maxLength) "
                + "(their prompts alone fill it): training would learn nothing and log loss 0; raise \(setting)")
        }
        for budget in budgets {
            let left = budget.examples.filter { (tokensByID[$0.id]?.responseTokenCount ?? 0) > 0 }.count
            if left == 0 && !budget.examples.isEmpty {
                throw TrainingError.answersCut("task \(budget.taskID): all \(budget.examples.count) training examples lose every answer "
                    + "token at a maximum length of \(maxLength); raise \(setting)")
            }
        }
        let heldOutExamples = heldOut.flatMap { $0 }
        if !heldOutExamples.isEmpty && heldOutExamples.allSatisfy({ $0.responseTokenCount == 0 }) {
            throw TrainingError.answersCut("all \(heldOutExamples.count) held-out examples lose every answer token at a maximum length of "
                + "\(maxLength): the held-out loss would be NaN; raise \(setting)")
        }
        guard total > 0, Double(cut) / Double(total) > TrainingTasks.answerCutWarningShare else { return nil }
        return "warning: \(cut) of \(total) training examples (\(Int((100 * Double(cut) / Double(total)).rounded()))%, more than "
            + "\(Int(TrainingTasks.answerCutWarningShare * 100))%) lose every answer token at a maximum length of \(maxLength) and train "
            + "nothing; raise \(setting) to use the whole budget"
    }
}
