/**
 * Numbered schema steps; each runs once, in a transaction, in order (tracked by `user_version`).
 * A step that has shipped never changes: a later change is a new step. Adding a status to one of
 * the store's closed sets (records.ts, attempt-record.ts, gate-records.ts) therefore takes a new
 * step that widens its CHECK constraint; the store's tests write every value of each set.
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE runs (
     run_id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     status TEXT NOT NULL,
     model TEXT NOT NULL,
     mode TEXT NOT NULL,
     dataset_source TEXT NOT NULL,
     dataset_digest TEXT NOT NULL,
     selection TEXT NOT NULL,
     config TEXT NOT NULL,
     swegate_version TEXT NOT NULL
   );
   CREATE TABLE instance_results (
     run_id TEXT NOT NULL REFERENCES runs(run_id),
     instance_id TEXT NOT NULL,
     status TEXT NOT NULL,
     verified INTEGER NOT NULL,
     attempts_made INTEGER NOT NULL,
     cost_usd REAL,
     duration_ms INTEGER NOT NULL,
     finished_at TEXT NOT NULL,
     result TEXT NOT NULL,
     PRIMARY KEY (run_id, instance_id)
   );
   CREATE TABLE attempts (
     run_id TEXT NOT NULL,
     instance_id TEXT NOT NULL,
     attempt_number INTEGER NOT NULL,
     failure_class TEXT,
     cost_usd REAL,
     duration_ms INTEGER NOT NULL,
     attempt TEXT NOT NULL,
     PRIMARY KEY (run_id, instance_id, attempt_number)
   );
   CREATE TABLE health (
     instance_id TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     healthy INTEGER NOT NULL,
     red_verdict TEXT NOT NULL,
     red_reason TEXT,
     green_resolved INTEGER,
     checked_at TEXT NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (instance_id, fingerprint)
   );
   CREATE TABLE certificates (
     run_id TEXT NOT NULL,
     instance_id TEXT NOT NULL,
     path TEXT NOT NULL,
     sha256 TEXT NOT NULL,
     PRIMARY KEY (run_id, instance_id)
   );`,
  // 2: the process running a run, so a second process cannot run it at the same time.
  "ALTER TABLE runs ADD COLUMN owner TEXT;",
  // 3: CHECK constraints on the status columns, so no writer can leave a state the code does not
  // know. SQLite cannot add a constraint to a table: each is rebuilt and its rows copied in rowid
  // order (results are listed in the order they were recorded).
  `CREATE TABLE runs_checked (
     run_id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'budget_exceeded', 'failed')),
     model TEXT NOT NULL,
     mode TEXT NOT NULL CHECK (mode IN ('oracle', 'blind')),
     dataset_source TEXT NOT NULL,
     dataset_digest TEXT NOT NULL,
     selection TEXT NOT NULL,
     config TEXT NOT NULL,
     swegate_version TEXT NOT NULL,
     owner TEXT
   );
   INSERT INTO runs_checked SELECT run_id, created_at, updated_at, status, model, mode, dataset_source,
     dataset_digest, selection, config, swegate_version, owner FROM runs ORDER BY rowid;
   DROP TABLE runs;
   ALTER TABLE runs_checked RENAME TO runs;
   CREATE TABLE instance_results_checked (
     run_id TEXT NOT NULL REFERENCES runs(run_id),
     instance_id TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('verified', 'failed', 'suspicious', 'env_broken', 'infra_error', 'internal_error', 'skipped')),
     verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
     attempts_made INTEGER NOT NULL,
     cost_usd REAL,
     duration_ms INTEGER NOT NULL,
     finished_at TEXT NOT NULL,
     result TEXT NOT NULL,
     PRIMARY KEY (run_id, instance_id)
   );
   INSERT INTO instance_results_checked SELECT run_id, instance_id, status, verified, attempts_made,
     cost_usd, duration_ms, finished_at, result FROM instance_results ORDER BY rowid;
   DROP TABLE instance_results;
   ALTER TABLE instance_results_checked RENAME TO instance_results;
   CREATE TABLE attempts_checked (
     run_id TEXT NOT NULL,
     instance_id TEXT NOT NULL,
     attempt_number INTEGER NOT NULL,
     failure_class TEXT CHECK (failure_class IS NULL OR failure_class IN ('format_error', 'edit_not_applied', 'tests_failed', 'regression', 'test_machinery', 'suspicious', 'infra')),
     cost_usd REAL,
     duration_ms INTEGER NOT NULL,
     attempt TEXT NOT NULL,
     PRIMARY KEY (run_id, instance_id, attempt_number)
   );
   INSERT INTO attempts_checked SELECT run_id, instance_id, attempt_number, failure_class, cost_usd,
     duration_ms, attempt FROM attempts ORDER BY rowid;
   DROP TABLE attempts;
   ALTER TABLE attempts_checked RENAME TO attempts;
   CREATE TABLE health_checked (
     instance_id TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     healthy INTEGER NOT NULL CHECK (healthy IN (0, 1)),
     red_verdict TEXT NOT NULL CHECK (red_verdict IN ('reproduced', 'env_broken', 'already_passing', 'p2p_broken')),
     red_reason TEXT,
     green_resolved INTEGER CHECK (green_resolved IS NULL OR green_resolved IN (0, 1)),
     checked_at TEXT NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (instance_id, fingerprint)
   );
   INSERT INTO health_checked SELECT instance_id, fingerprint, healthy, red_verdict, red_reason,
     green_resolved, checked_at, record FROM health ORDER BY rowid;
   DROP TABLE health;
   ALTER TABLE health_checked RENAME TO health;`,
];
