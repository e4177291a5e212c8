// The results store's schema, one migration per version. Never edit a shipped migration:
// add a new one and bump `ResultsStore.schemaVersion`.
import GRDB

enum StoreSchema {
    static let migrationIDs = ["v1-runs-metrics-samples-loss-artifacts", "v2-runs-training-record", "v3-slurm-jobs"]

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
        // Slurm array jobs submitted by `sweep --backend slurm`, so `sweep --status` can ask squeue.
        m.registerMigration(migrationIDs[2]) { db in
            try db.execute(sql: """
                CREATE TABLE slurm_jobs (
                    job_id TEXT NOT NULL, spec TEXT NOT NULL, profile TEXT NOT NULL, shard_directory TEXT NOT NULL,
                    array TEXT NOT NULL, script TEXT NOT NULL, submitted_at TEXT NOT NULL
                );
                PRAGMA user_version = 3;
                """)
        }
        return m
    }
}
