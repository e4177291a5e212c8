import Foundation

/// Bad-input checks, run before any model is loaded or step taken, so a mistake costs nothing.
public enum DataValidation {
    public static func checkEpisode(taskCount: Int, tasksPerIteration: Int, supportSize: Int, querySize: Int, smallestBudget: Int) throws {
        guard tasksPerIteration > 0 else { throw DataError.invalidParameter("tasks per iteration must be positive (got \(tasksPerIteration))") }
        guard supportSize > 0, querySize > 0 else {
            throw DataError.invalidParameter("support and query sizes must be positive (got \(supportSize), \(querySize))")
        }
        guard tasksPerIteration <= taskCount else {
            throw DataError.tooManyTasksPerIteration(requested: tasksPerIteration, available: taskCount)
        }
        guard supportSize + querySize <= smallestBudget else {
            throw DataError.episodeLargerThanBudget(supportSize: supportSize, querySize: querySize, budget: smallestBudget)
        }
    }
}
