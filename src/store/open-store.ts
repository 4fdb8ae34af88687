import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { quoteName, unsafeNameProblem } from "../dataset/safe-name.js";
import { UserError } from "../errors.js";
import { MIGRATIONS } from "./migrations.js";
import type {
  AttemptRecord,
  HealthRecord,
  InstanceResult,
  RunOwner,
  RunRecord,
  RunStatus,
} from "./records.js";

/** The durable store: runs, instance outcomes, attempts, the health registry, certificates. */
export interface Store {
  readonly dir: string;
  /** Records a new run; a run of that id made meanwhile by another process is kept as it is. */
  createRun(run: RunRecord): void;
  getRun(runId: string): RunRecord | undefined;
  listRuns(): RunRecord[];
  /** Sets a run's status; any status but `running` also clears its owner. */
  updateRunStatus(runId: string, status: RunStatus): void;
  /**
   * Marks the run `running` by `owner` in one transaction, unless `isBusy` says its current owner
   * is still at it; returns that owner then, else undefined.
   */
  claimRun(runId: string, owner: RunOwner, isBusy: (current: RunOwner) => boolean): RunOwner | undefined;
  /** Records an instance's outcome, attempts and certificate in ONE transaction (replacing an earlier one). */
  recordInstanceResult(
    runId: string,
    result: InstanceResult,
    attempts: AttemptRecord[],
    certificate?: { path: string; sha256: string },
  ): void;
  getInstanceResults(runId: string): InstanceResult[];
  getAttempts(runId: string, instanceId: string): AttemptRecord[];
  finishedInstanceIds(runId: string): Set<string>;
  putHealth(record: HealthRecord): void;
  getHealth(instanceId: string, fingerprint: string): HealthRecord | undefined;
  listHealth(): HealthRecord[];
  close(): void;
}

/** Opens (creating and migrating) `<dir>/swegate.db` in WAL mode. */
export function openStore(dir: string): Store {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, "swegate.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  db.pragma("synchronous = NORMAL");
  migrate(db, dir);

  const insertResult = db.prepare(
    `INSERT OR REPLACE INTO instance_results (run_id, instance_id, status, verified, attempts_made, cost_usd, duration_ms, finished_at, result)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const deleteAttempts = db.prepare("DELETE FROM attempts WHERE run_id = ? AND instance_id = ?");
  const insertAttempt = db.prepare(
    "INSERT INTO attempts (run_id, instance_id, attempt_number, failure_class, cost_usd, duration_ms, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const insertCertificate = db.prepare(
    "INSERT OR REPLACE INTO certificates (run_id, instance_id, path, sha256) VALUES (?, ?, ?, ?)",
  );
  const touchRun = db.prepare("UPDATE runs SET updated_at = ? WHERE run_id = ?");
  const record = db.transaction(
    (
      runId: string,
      result: InstanceResult,
      attempts: AttemptRecord[],
      certificate?: { path: string; sha256: string },
    ) => {
      insertResult.run(
        runId,
        result.instance_id,
        result.status,
        result.verified ? 1 : 0,
        result.attempts_made,
        result.cost_usd,
        result.duration_ms,
        result.finished_at,
        JSON.stringify(result),
      );
      deleteAttempts.run(runId, result.instance_id);
      for (const attempt of attempts) {
        insertAttempt.run(
          runId,
          result.instance_id,
          attempt.attempt_number,
          attempt.failure_class,
          attempt.cost_usd,
          attempt.duration_ms,
          JSON.stringify(attempt),
        );
      }
      if (certificate) insertCertificate.run(runId, result.instance_id, certificate.path, certificate.sha256);
      touchRun.run(new Date().toISOString(), runId);
    },
  );
  const toRun = (row: Record<string, unknown>): RunRecord => ({
    ...(row as unknown as RunRecord),
    selection: JSON.parse(String(row.selection)),
    config: JSON.parse(String(row.config)),
    owner: row.owner ? (JSON.parse(String(row.owner)) as RunOwner) : null,
  });
  const claim = db.transaction((runId: string, owner: RunOwner, isBusy: (current: RunOwner) => boolean) => {
    const row = db.prepare("SELECT status, owner FROM runs WHERE run_id = ?").get(runId) as
      | { status: string; owner: string | null }
      | undefined;
    const current = row?.owner ? (JSON.parse(row.owner) as RunOwner) : undefined;
    if (row?.status === "running" && current && isBusy(current)) return current;
    db.prepare("UPDATE runs SET status = 'running', owner = ?, updated_at = ? WHERE run_id = ?").run(
      JSON.stringify(owner),
      new Date().toISOString(),
      runId,
    );
    return undefined;
  });

  return {
    dir,
    createRun(run) {
      db.prepare(
        `INSERT OR IGNORE INTO runs (run_id, created_at, updated_at, status, model, mode, dataset_source, dataset_digest, selection, config, swegate_version, owner)
         VALUES (@run_id, @created_at, @updated_at, @status, @model, @mode, @dataset_source, @dataset_digest, @selection, @config, @swegate_version, @owner)`,
      ).run({
        ...run,
        selection: JSON.stringify(run.selection),
        config: JSON.stringify(run.config),
        owner: run.owner ? JSON.stringify(run.owner) : null,
      });
    },
    getRun(runId) {
      const row = db.prepare("SELECT * FROM runs WHERE run_id = ?").get(runId) as
        | Record<string, unknown>
        | undefined;
      return row ? toRun(row) : undefined;
    },
    listRuns() {
      return (db.prepare("SELECT * FROM runs ORDER BY created_at").all() as Record<string, unknown>[]).map(
        toRun,
      );
    },
    updateRunStatus(runId, status) {
      db.prepare(
        "UPDATE runs SET status = ?, updated_at = ?, owner = CASE WHEN ? = 'running' THEN owner END WHERE run_id = ?",
      ).run(status, new Date().toISOString(), status, runId);
    },
    claimRun(runId, owner, isBusy) {
      return claim.immediate(runId, owner, isBusy);
    },
    recordInstanceResult(runId, result, attempts, certificate) {
      record(runId, result, attempts, certificate);
    },
    getInstanceResults(runId) {
      const rows = db
        .prepare("SELECT result FROM instance_results WHERE run_id = ? ORDER BY rowid")
        .all(runId) as { result: string }[];
      return rows.map((row) => JSON.parse(row.result) as InstanceResult);
    },
    getAttempts(runId, instanceId) {
      const rows = db
        .prepare("SELECT attempt FROM attempts WHERE run_id = ? AND instance_id = ? ORDER BY attempt_number")
        .all(runId, instanceId) as { attempt: string }[];
      return rows.map((row) => JSON.parse(row.attempt) as AttemptRecord);
    },
    finishedInstanceIds(runId) {
      const rows = db.prepare("SELECT instance_id FROM instance_results WHERE run_id = ?").all(runId) as {
        instance_id: string;
      }[];
      return new Set(rows.map((row) => row.instance_id));
    },
    putHealth(health) {
      db.prepare(
        `INSERT OR REPLACE INTO health (instance_id, fingerprint, healthy, red_verdict, red_reason, green_resolved, checked_at, record)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        health.instance_id,
        health.fingerprint,
        health.healthy ? 1 : 0,
        health.red_verdict,
        health.red_reason,
        health.green_resolved === null ? null : health.green_resolved ? 1 : 0,
        health.checked_at,
        JSON.stringify(health),
      );
    },
    getHealth(instanceId, fingerprint) {
      const row = db
        .prepare("SELECT record FROM health WHERE instance_id = ? AND fingerprint = ?")
        .get(instanceId, fingerprint) as { record: string } | undefined;
      return row ? (JSON.parse(row.record) as HealthRecord) : undefined;
    },
    listHealth() {
      return (db.prepare("SELECT record FROM health ORDER BY instance_id").all() as { record: string }[]).map(
        (row) => JSON.parse(row.record) as HealthRecord,
      );
    },
    close() {
      db.close();
    },
  };
}

function migrate(db: Database.Database, dir: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new UserError(
      `the store was written by a newer swegate (schema ${version}, this one knows ${MIGRATIONS.length})`,
      {
        where: dir,
        hint: "upgrade swegate or use another --store",
      },
    );
  }
  for (let step = version; step < MIGRATIONS.length; step++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[step] as string);
      db.pragma(`user_version = ${step + 1}`);
    })();
  }
}

/** Fixed on-disk layout of an instance's artefacts beside the database. */
export function artifactPaths(storeDir: string, runId: string, instanceId: string) {
  // Run and instance ids are checked where they enter (flags, dataset rows); one that is still unsafe
  // here would write outside the store, and that is a bug, not bad input.
  for (const [what, name] of [
    ["run id", runId],
    ["instance id", instanceId],
  ] as const) {
    const problem = unsafeNameProblem(name);
    if (problem !== undefined)
      throw new Error(`unsafe ${what} reached the store: ${quoteName(name)} ${problem}`);
  }
  const dir = join(storeDir, "runs", runId, instanceId);
  return {
    dir,
    redLog: join(dir, "red.log"),
    greenLog: join(dir, "green.log"),
    attemptLog: (attempt: number) => join(dir, `attempt-${attempt}.log`),
    patch: join(dir, "patch.diff"),
    transcript: join(dir, "transcript.jsonl"),
    certificate: join(dir, "certificate.json"),
  };
}
