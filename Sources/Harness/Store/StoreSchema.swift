// The results store's schema, one migration per version. Never edit a shipped migration:
// add a new one and bump `ResultsStore.schemaVersion`.
import GRDB

enum StoreSchema {
    static let migrationIDs = ["v1-runs-metrics-samples-loss-artifacts", "v2-runs-training-record", "v3-runs-interrupted-stale",
                               "v4-slurm-jobs"]

    /// Every state a run row can be in. `interrupted`: SIGINT/SIGTERM stopped it (its checkpoint
    /// folder stays, so the next run resumes). `stale`: it finished, but the model file at its path
    /// has since changed (its results are kept, and the cell runs again).
    static let runStatuses = ["running", "done", "failed", "interrupted", "stale"]

    static let runColumns = """
        id, config_hash, config_json, labels_json, spec, table_name, method_label, method, setting, budget, grid_label,
        model_path, model_sha256, profile, seed, code_version, status, pid, host, started_at, finished_at, wall_s,
        optimizer_steps, samples, tokens, error, training_record_json
        """

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration(migrationIDs[0]) { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    config_hash TEXT NOT NULL,
                    config_json TEXT NOT NULL,
                    labels_json TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    table_name TEXT NOT NULL,
                    method_label TEXT NOT NULL,
                    method TEXT NOT NULL,
                    setting TEXT NOT NULL,
                    budget TEXT NOT NULL,
                    grid_label TEXT,
                    model_path TEXT NOT NULL,
                    model_sha256 TEXT,
                    profile TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    code_version TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
                    pid INTEGER,
                    host TEXT,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    wall_s REAL,
                    optimizer_steps INTEGER,
                    samples INTEGER,
                    tokens INTEGER,
                    error TEXT
                );
                -- At most one finished run per configuration: a result is never counted twice.
                CREATE UNIQUE INDEX runs_one_done_per_config ON runs(config_hash) WHERE status = 'done';
                CREATE INDEX runs_by_hash ON runs(config_hash, status);
                CREATE TABLE metrics (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    benchmark TEXT NOT NULL, subset TEXT NOT NULL, metric TEXT NOT NULL,
                    value REAL NOT NULL, n INTEGER NOT NULL, settings_json TEXT NOT NULL
                );
                CREATE INDEX metrics_by_run ON metrics(run_id);
                CREATE TABLE samples (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    benchmark TEXT NOT NULL, subset TEXT NOT NULL, sample_index INTEGER NOT NULL,
                    prediction TEXT NOT NULL, target TEXT NOT NULL, correct INTEGER NOT NULL, detail_json TEXT NOT NULL
                );
                CREATE INDEX samples_by_run ON samples(run_id);
                CREATE TABLE loss_curve (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL, loss REAL NOT NULL, split TEXT NOT NULL
                );
                CREATE INDEX loss_by_run ON loss_curve(run_id);
                CREATE TABLE artifacts (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL, path TEXT NOT NULL
                );
                PRAGMA user_version = 1;
                """)
        }
        // The trainer's record of what a run trained on (data plan, budget ids, selection target,
        // prompt format, truncation), as a JSON object; NULL for the base model and older runs.
        m.registerMigration(migrationIDs[1]) { db in
            try db.execute(sql: """
                ALTER TABLE runs ADD COLUMN training_record_json TEXT;
                PRAGMA user_version = 2;
                """)
        }
        // SQLite cannot change a CHECK constraint in place: the runs table is rebuilt with the two
        // new statuses (the documented create-copy-drop-rename procedure; GRDB defers the foreign
        // key checks of metrics, samples, loss_curve and artifacts to the end of the migration).
        m.registerMigration(migrationIDs[2]) { db in
            try db.execute(sql: """
                CREATE TABLE runs_rebuilt (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    config_hash TEXT NOT NULL,
                    config_json TEXT NOT NULL,
                    labels_json TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    table_name TEXT NOT NULL,
                    method_label TEXT NOT NULL,
                    method TEXT NOT NULL,
                    setting TEXT NOT NULL,
                    budget TEXT NOT NULL,
                    grid_label TEXT,
                    model_path TEXT NOT NULL,
                    model_sha256 TEXT,
                    profile TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    code_version TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN (\(runStatuses.map { "'\($0)'" }.joined(separator: ", ")))),
                    pid INTEGER,
                    host TEXT,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    wall_s REAL,
                    optimizer_steps INTEGER,
                    samples INTEGER,
                    tokens INTEGER,
                    error TEXT,
                    training_record_json TEXT
                );
                INSERT INTO runs_rebuilt (\(runColumns)) SELECT \(runColumns) FROM runs;
                DROP TABLE runs;
                ALTER TABLE runs_rebuilt RENAME TO runs;
                CREATE UNIQUE INDEX runs_one_done_per_config ON runs(config_hash) WHERE status = 'done';
                CREATE INDEX runs_by_hash ON runs(config_hash, status);
                PRAGMA user_version = 3;
                """)
        }
        // Slurm array jobs submitted by `sweep --backend slurm`, so `sweep --status` can ask squeue
        // which of a sweep's tasks are still queued.
        m.registerMigration(migrationIDs[3]) { db in
            try db.execute(sql: """
                CREATE TABLE slurm_jobs (
                    job_id TEXT NOT NULL, spec TEXT NOT NULL, profile TEXT NOT NULL, shard_directory TEXT NOT NULL,
                    array TEXT NOT NULL, script TEXT NOT NULL, submitted_at TEXT NOT NULL
                );
                PRAGMA user_version = 4;
                """)
        }
        return m
    }
}
