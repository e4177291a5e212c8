import Foundation

/// Every failure of the data layer, raised before any compute is spent, with enough context
/// (path, line, valid choices) for the user to fix the call.
public enum DataError: Error, CustomStringConvertible, Equatable {
    case missingDirectory(path: String)
    case missingFile(path: String)
    case malformedRow(file: String, line: Int, reason: String)
    case unknownTask(String, valid: [String])
    case unknownSetting(String, valid: [String])
    case taskMissingFromMirror(task: String, reason: String)
    case budgetLargerThanPool(task: String, budget: Int, available: Int)
    case tooManyTasksPerIteration(requested: Int, available: Int)
    case episodeLargerThanBudget(supportSize: Int, querySize: Int, budget: Int)
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .missingDirectory(let path):
            return "data directory \(path) not found: link the data mirror there (make setup), pass --data-dir, or set METALORA_DATA"
        case .missingFile(let path):
            return "data file not found: \(path) — run `make setup` to link the data mirror to data/, or pass --data-dir (or set METALORA_DATA) to point at your copy"
        case .malformedRow(let file, let line, let reason):
            return "malformed row in \(file), line \(line): \(reason)"
        case .unknownTask(let name, let valid):
            return "unknown task '\(name)'; valid tasks: \(valid.joined(separator: ", "))"
        case .unknownSetting(let name, let valid):
            return "unknown setting '\(name)'; valid settings: \(valid.joined(separator: ", "))"
        case .taskMissingFromMirror(let task, let reason):
            return "task '\(task)' is not available in the data mirror: \(reason)"
        case .budgetLargerThanPool(let task, let budget, let available):
            return "budget \(budget) is larger than the pool of task '\(task)' (\(available) examples available outside the held-out set)"
        case .tooManyTasksPerIteration(let requested, let available):
            return "tasks per iteration n=\(requested) is larger than the number of tasks in the setting (\(available))"
        case .episodeLargerThanBudget(let s, let q, let budget):
            return "support size \(s) + query size \(q) = \(s + q) is larger than the per-task budget \(budget); support and query sets must be disjoint subsets of the budget"
        case .invalidParameter(let message):
            return message
        }
    }
}

extension DataError: LocalizedError {
    public var errorDescription: String? { description }
}
