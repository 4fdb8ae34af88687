import type Database from "better-sqlite3";

/** Every statement the store runs, by name. */
const SQL = {
  insertRun: `INSERT OR IGNORE INTO runs (run_id, created_at, updated_at, status, model, mode, dataset_source, dataset_digest, selection, config, swegate_version, owner)
       VALUES (@run_id, @created_at, @updated_at, @status, @model, @mode, @dataset_source, @dataset_digest, @selection, @config, @swegate_version, @owner)`,
  selectRun: "SELECT * FROM runs WHERE run_id = ?",
  selectRuns: "SELECT * FROM runs ORDER BY created_at",
  selectRunOwner: "SELECT status, owner FROM runs WHERE run_id = ?",
  // Any status but `running` clears the owner: only a running run has a process behind it.
  updateRunStatus:
    "UPDATE runs SET status = ?, updated_at = ?, owner = CASE WHEN ? = 'running' THEN owner END WHERE run_id = ?",
  claimRun: "UPDATE runs SET status = 'running', owner = ?, updated_at = ? WHERE run_id = ?",
  touchRun: "UPDATE runs SET updated_at = ? WHERE run_id = ?",
  insertResult: `INSERT OR REPLACE INTO instance_results (run_id, instance_id, status, verified, attempts_made, cost_usd, duration_ms, finished_at, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectResults: "SELECT instance_id, result FROM instance_results WHERE run_id = ? ORDER BY rowid",
  selectFinishedIds: "SELECT instance_id FROM instance_results WHERE run_id = ?",
  deleteAttempts: "DELETE FROM attempts WHERE run_id = ? AND instance_id = ?",
  insertAttempt:
    "INSERT INTO attempts (run_id, instance_id, attempt_number, failure_class, cost_usd, duration_ms, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)",
  selectAttempts:
    "SELECT attempt_number, attempt FROM attempts WHERE run_id = ? AND instance_id = ? ORDER BY attempt_number",
  insertCertificate:
    "INSERT OR REPLACE INTO certificates (run_id, instance_id, path, sha256) VALUES (?, ?, ?, ?)",
  insertHealth: `INSERT OR REPLACE INTO health (instance_id, fingerprint, healthy, red_verdict, red_reason, green_resolved, checked_at, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  selectHealth: "SELECT record FROM health WHERE instance_id = ? AND fingerprint = ?",
  selectAllHealth: "SELECT instance_id, fingerprint, record FROM health ORDER BY instance_id",
} as const;

/** The store's prepared statements, by name. */
export type StoreStatements = { [name in keyof typeof SQL]: Database.Statement };

/**
 * Prepares every statement once, when the store opens: each `prepare` compiles SQL, and the
 * store's methods are called per instance and per attempt.
 */
export function prepareStatements(db: Database.Database): StoreStatements {
  return Object.fromEntries(
    Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
  ) as StoreStatements;
}
