import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { z } from "zod";
import { quoteName, unsafeNameProblem } from "../dataset/safe-name.js";
import { UserError } from "../errors.js";
import type { AttemptRecord } from "./attempt-record.js";
import { MIGRATIONS } from "./migrations.js";
import type { HealthRecord, InstanceResult, RunOwner, RunRecord, RunStatus } from "./records.js";
import {
  attemptRecordSchema,
  healthRecordSchema,
  instanceResultSchema,
  parseRow,
  runConfigSchema,
  runOwnerSchema,
  runRowSchema,
  runSelectionSchema,
} from "./row-schemas.js";
import { prepareStatements, type StoreStatements } from "./store-statements.js";

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
  const db = openDatabase(dir);
  const statements = prepareStatements(db);
  const read = <T>(schema: z.ZodType<T>, value: unknown, what: string) => parseRow(schema, value, what, dir);
  const toRun = (row: unknown): RunRecord => readRun(row, read);
  const record = recordTransaction(db, statements);
  const claim = claimTransaction(db, statements, read);
  return {
    dir,
    createRun(run) {
      statements.insertRun.run({
        ...run,
        selection: JSON.stringify(run.selection),
        config: JSON.stringify(run.config),
        owner: run.owner ? JSON.stringify(run.owner) : null,
      });
    },
    getRun(runId) {
      const row = statements.selectRun.get(runId);
      return row ? toRun(row) : undefined;
    },
    listRuns: () => statements.selectRuns.all().map(toRun),
    updateRunStatus(runId, status) {
      statements.updateRunStatus.run(status, new Date().toISOString(), status, runId);
    },
    claimRun: (runId, owner, isBusy) => claim.immediate(runId, owner, isBusy),
    recordInstanceResult(runId, result, attempts, certificate) {
      record(runId, result, attempts, certificate);
    },
    getInstanceResults: (runId) =>
      (statements.selectResults.all(runId) as { instance_id: string; result: string }[]).map((row) =>
        read(instanceResultSchema, row.result, `the result of ${row.instance_id} in run ${runId}`),
      ),
    getAttempts: (runId, instanceId) =>
      (statements.selectAttempts.all(runId, instanceId) as { attempt_number: number; attempt: string }[]).map(
        (row) =>
          read(
            attemptRecordSchema,
            row.attempt,
            `attempt ${row.attempt_number} of ${instanceId} in run ${runId}`,
          ),
      ),
    finishedInstanceIds: (runId) =>
      new Set(
        (statements.selectFinishedIds.all(runId) as { instance_id: string }[]).map((row) => row.instance_id),
      ),
    putHealth(health) {
      statements.insertHealth.run(
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
      const row = statements.selectHealth.get(instanceId, fingerprint) as { record: string } | undefined;
      return row && read(healthRecordSchema, row.record, `the health of ${instanceId} in ${fingerprint}`);
    },
    listHealth: () =>
      (
        statements.selectAllHealth.all() as { instance_id: string; fingerprint: string; record: string }[]
      ).map((row) =>
        read(healthRecordSchema, row.record, `the health of ${row.instance_id} in ${row.fingerprint}`),
      ),
    close() {
      db.close();
    },
  };
}

/** Reads a stored row: its text checked against a schema, or a one-line error naming what it is. */
type ReadRow = <T>(schema: z.ZodType<T>, value: unknown, what: string) => T;

function openDatabase(dir: string): Database.Database {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, "swegate.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  db.pragma("synchronous = NORMAL");
  migrate(db, dir);
  return db;
}

/** A `runs` row with its JSON columns (selection, config, owner) parsed. */
function readRun(value: unknown, read: ReadRow): RunRecord {
  const row = read(runRowSchema, value, "a run");
  const what = (column: string) => `the ${column} of run ${row.run_id}`;
  return {
    ...row,
    selection: read(runSelectionSchema, row.selection, what("selection")),
    config: read(runConfigSchema, row.config, what("settings")),
    owner: row.owner ? read(runOwnerSchema, row.owner, what("owner")) : null,
  };
}

/** Writes an instance's outcome, attempts and certificate as one transaction. */
function recordTransaction(db: Database.Database, statements: StoreStatements) {
  return db.transaction(
    (
      runId: string,
      result: InstanceResult,
      attempts: AttemptRecord[],
      certificate?: { path: string; sha256: string },
    ) => {
      statements.insertResult.run(
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
      statements.deleteAttempts.run(runId, result.instance_id);
      for (const attempt of attempts)
        statements.insertAttempt.run(
          runId,
          result.instance_id,
          attempt.attempt_number,
          attempt.failure_class,
          attempt.cost_usd,
          attempt.duration_ms,
          JSON.stringify(attempt),
        );
      if (certificate)
        statements.insertCertificate.run(runId, result.instance_id, certificate.path, certificate.sha256);
      statements.touchRun.run(new Date().toISOString(), runId);
    },
  );
}

/** Takes a run unless its owner is still at it: read and write in one transaction, so two cannot both win. */
function claimTransaction(db: Database.Database, statements: StoreStatements, read: ReadRow) {
  return db.transaction((runId: string, owner: RunOwner, isBusy: (current: RunOwner) => boolean) => {
    const row = statements.selectRunOwner.get(runId) as { status: string; owner: string | null } | undefined;
    const current = row?.owner ? read(runOwnerSchema, row.owner, `the owner of run ${runId}`) : undefined;
    if (row?.status === "running" && current && isBusy(current)) return current;
    statements.claimRun.run(JSON.stringify(owner), new Date().toISOString(), runId);
    return undefined;
  });
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
  // A step that rebuilds a table drops one that another references; SQLite would check the
  // references at the drop, before the rebuilt table takes its place. The pragma cannot change
  // inside a transaction, so it is set around the steps.
  const foreignKeys = db.pragma("foreign_keys", { simple: true }) as number;
  db.pragma("foreign_keys = OFF");
  try {
    for (let step = version; step < MIGRATIONS.length; step++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[step] as string);
        db.pragma(`user_version = ${step + 1}`);
      })();
    }
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? "ON" : "OFF"}`);
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
    reproduceLog: join(dir, "reproduce.log"),
    certificate: join(dir, "certificate.json"),
  };
}
