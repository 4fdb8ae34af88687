import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { type AttemptRecord, FAILURE_CLASSES } from "./attempt-record.js";
import { RED_VERDICTS } from "./gate-records.js";
import { MIGRATIONS } from "./migrations.js";
import { openStore } from "./open-store.js";
import {
  type HealthRecord,
  INSTANCE_STATUSES,
  type InstanceResult,
  RUN_STATUSES,
  type RunRecord,
} from "./records.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-store-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const environment = { backend: "host", pythonVersion: "Python 3.11.2", python: "python3" };
const run = (run_id: string, owner: RunRecord["owner"] = null): RunRecord => ({
  run_id,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  status: "running",
  model: "demo",
  mode: "oracle",
  dataset_source: "demo",
  dataset_digest: "d",
  selection: ["a", "b"],
  config: { workers: 2 },
  swegate_version: "0.1.0",
  owner,
});
const result = (instance_id: string): InstanceResult => ({
  instance_id,
  repo: "o/r",
  status: "verified",
  verified: true,
  patch: "diff",
  certificate: null,
  red_gate_message: "reproduced",
  green_gate_message: "FULL",
  error: null,
  attempts_made: 1,
  feedback_history: [],
  feedback_mode: "oracle",
  model: "demo",
  tokens: { input: 1, output: 2, cache_read: 0, cache_write: 0 },
  cost_usd: null,
  duration_ms: 5,
  finished_at: "2026-01-01T00:00:01.000Z",
  red_gate: {
    verdict: "reproduced",
    reason: null,
    evidence: [],
    warnings: [],
    provisional: false,
    tests: { t: "FAILED" },
    duration_ms: 1,
  },
  // As results recorded before the refusal and the evidence were kept: without those keys.
  green_gate: {
    resolution: "FULL",
    resolved: true,
    problem: null,
    patch_applied_by: "git apply -v",
    tests_status: null,
    tests: { t: "PASSED" },
    duration_ms: 1,
  },
  environment,
  reason: null,
});
const attempt: AttemptRecord = {
  attempt_number: 1,
  prompt_tokens_estimate: 10,
  raw_answer: "answer",
  parsed_edits: ["a.py: replace"],
  apply_result: "",
  check_result: "FULL",
  passed: true,
  failure_class: null,
  feedback: "",
  patch: "diff",
  usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 },
  cost_usd: null,
  duration_ms: 3,
};
const health: HealthRecord = {
  instance_id: "a",
  fingerprint: "f",
  healthy: false,
  red_verdict: "env_broken",
  red_reason: "missing_dependency",
  red_evidence: ["ModuleNotFoundError"],
  green_resolved: null,
  environment,
  checked_at: "2026-01-01T00:00:00.000Z",
  duration_ms: 7,
};

/** A store as swegate wrote it at schema 2 (before the CHECK constraints), rows in the order given. */
function writeSchemaTwoStore(dir: string): void {
  const db = new Database(join(dir, "swegate.db"));
  db.exec(MIGRATIONS[0] as string);
  db.exec(MIGRATIONS[1] as string);
  db.pragma("user_version = 2");
  const insertRun = db.prepare(
    "INSERT INTO runs (run_id, created_at, updated_at, status, model, mode, dataset_source, dataset_digest, selection, config, swegate_version, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const [record, owner] of [
    [run("r1"), null],
    [run("r2"), JSON.stringify({ host: "h", pid: 1, started: "9" })],
  ] as const)
    insertRun.run(
      record.run_id,
      record.created_at,
      record.updated_at,
      record.status,
      record.model,
      record.mode,
      record.dataset_source,
      record.dataset_digest,
      JSON.stringify(record.selection),
      JSON.stringify(record.config),
      record.swegate_version,
      owner,
    );
  // Recorded "b" first: results are listed in the order they were recorded, not by id.
  for (const id of ["b", "a"])
    db.prepare("INSERT INTO instance_results VALUES ('r1', ?, 'verified', 1, 1, NULL, 5, 'x', ?)").run(
      id,
      JSON.stringify(result(id)),
    );
  db.prepare("INSERT INTO attempts VALUES ('r1', 'a', 1, NULL, NULL, 3, ?)").run(JSON.stringify(attempt));
  db.prepare("INSERT INTO health VALUES ('a', 'f', 0, 'env_broken', 'missing_dependency', NULL, 'x', ?)").run(
    JSON.stringify(health),
  );
  db.close();
}

describe("the store's schema", () => {
  it("opens a store written at schema 2, migrates it and reads every row back as it was", () => {
    const old = mkdtempSync(join(scratch, "old-"));
    writeSchemaTwoStore(old);
    const store = openStore(old);
    expect(store.listRuns().map((record) => [record.run_id, record.owner])).toEqual([
      ["r1", null],
      ["r2", { host: "h", pid: 1, started: "9" }],
    ]);
    expect(store.getRun("r1")).toMatchObject({ selection: ["a", "b"], config: { workers: 2 } });
    expect(store.getInstanceResults("r1")).toEqual([result("b"), result("a")]);
    expect(store.getAttempts("r1", "a")).toEqual([attempt]);
    expect(store.getHealth("a", "f")).toEqual(health);
    expect(store.finishedInstanceIds("r1")).toEqual(new Set(["a", "b"]));
    store.close();
    const db = new Database(join(old, "swegate.db"));
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma("foreign_key_check")).toEqual([]);
    db.close();
  });

  it("accepts every state the code knows in the status columns and refuses any other", () => {
    const dir = mkdtempSync(join(scratch, "checks-"));
    openStore(dir).close();
    const db = new Database(join(dir, "swegate.db"));
    const insertRun = (runId: string, status: string, mode = "oracle") =>
      db
        .prepare(
          "INSERT INTO runs (run_id, created_at, updated_at, status, model, mode, dataset_source, dataset_digest, selection, config, swegate_version) VALUES (?, 'x', 'x', ?, 'm', ?, 's', 'd', '[]', '{}', 'v')",
        )
        .run(runId, status, mode);
    const insertResult = (id: string, status: string, verified = 0) =>
      db
        .prepare("INSERT INTO instance_results VALUES ('run-ok', ?, ?, ?, 0, NULL, 0, 'x', '{}')")
        .run(id, status, verified);
    const insertAttempt = (number: number, failureClass: string | null) =>
      db
        .prepare("INSERT INTO attempts VALUES ('run-ok', 'i', ?, ?, NULL, 0, '{}')")
        .run(number, failureClass);
    const insertHealth = (id: string, verdict: string, healthy = 0) =>
      db.prepare("INSERT INTO health VALUES (?, 'f', ?, ?, NULL, NULL, 'x', '{}')").run(id, healthy, verdict);

    for (const status of RUN_STATUSES) insertRun(`run-${status}`, status);
    insertRun("run-ok", "completed", "blind");
    for (const status of INSTANCE_STATUSES) insertResult(status, status);
    for (const [index, failureClass] of [null, ...FAILURE_CLASSES].entries())
      insertAttempt(index + 1, failureClass);
    for (const verdict of RED_VERDICTS) insertHealth(verdict, verdict);

    const refused = /CHECK constraint failed/;
    expect(() => insertRun("bad-status", "done")).toThrow(refused);
    expect(() => insertRun("bad-mode", "completed", "both")).toThrow(refused);
    expect(() => insertResult("bad", "passed")).toThrow(refused);
    expect(() => insertResult("bad-verified", "verified", 2)).toThrow(refused);
    expect(() => insertAttempt(99, "timeout")).toThrow(refused);
    expect(() => insertHealth("bad", "broken")).toThrow(refused);
    expect(() => insertHealth("bad-healthy", "reproduced", 3)).toThrow(refused);
    db.close();
  });

  it("names a stored row it cannot read instead of handing a wrong shape on", () => {
    const dir = mkdtempSync(join(scratch, "damaged-"));
    const store = openStore(dir);
    store.createRun(run("r1"));
    const damaged = { ...result("a"), red_gate: { ...result("a").red_gate, verdict: "maybe" } };
    store.recordInstanceResult("r1", damaged as InstanceResult, []);
    expect(() => store.getInstanceResults("r1")).toThrow(UserError);
    expect(() => store.getInstanceResults("r1")).toThrow(/the result of a in run r1/);
    store.close();
  });
});
