// The store's record of submitted Slurm array jobs (table slurm_jobs).
import Foundation
import GRDB

public struct SlurmJobRecord: Equatable, Sendable {
    public let jobID: String
    public let spec: String
    public let profile: String
    public let shardDirectory: String
    /// The array indices submitted, in sbatch's list form ("0-3", "2,5").
    public let array: String
    public let script: String
    public let submittedAt: String
}

extension ResultsStore {
    public func recordSlurmJob(jobID: String, spec: String, profile: String, shardDirectory: String, array: String, script: String) throws {
        try guarded {
            try pool.write { db in
                try db.execute(sql: "INSERT INTO slurm_jobs (job_id, spec, profile, shard_directory, array, script, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [jobID, spec, profile, shardDirectory, array, script, ResultsStore.now()])
            }
        }
    }

    /// Jobs of one spec and profile, oldest first.
    public func slurmJobs(spec: String, profile: String) throws -> [SlurmJobRecord] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM slurm_jobs WHERE spec = ? AND profile = ? ORDER BY rowid", arguments: [spec, profile]).map {
                    SlurmJobRecord(jobID: $0["job_id"], spec: $0["spec"], profile: $0["profile"], shardDirectory: $0["shard_directory"],
                                   array: $0["array"], script: $0["script"], submittedAt: $0["submitted_at"])
                }
            }
        }
    }
}
