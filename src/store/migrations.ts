/** Numbered schema steps; each runs once, in a transaction, in order (tracked by `user_version`). */
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
];
