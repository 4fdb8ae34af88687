import type { AttemptRecord } from "../agent/attempt-record.js";
import type { EnvironmentDescription } from "../exec/backend.js";

/** Closed set of run statuses. */
export type RunStatus = "running" | "completed" | "interrupted" | "budget_exceeded" | "failed";

export interface RunRecord {
  run_id: string;
  /** ISO time the run was created. */
  created_at: string;
  /** ISO time of the last change. */
  updated_at: string;
  status: RunStatus;
  /** `provider:model-id`, or `demo` / `oracle`. */
  model: string;
  /** Feedback mode that produced the results. */
  mode: "oracle" | "blind";
  /** Dataset path or `demo`. */
  dataset_source: string;
  /** sha256 of the dataset file. */
  dataset_digest: string;
  /** Selected instance ids, in order. */
  selection: string[];
  /** Options the run was started with. */
  config: Record<string, unknown>;
  swegate_version: string;
  /** The process running it while `running` (absent once it ended, and in stores from before owners). */
  owner?: RunOwner | null;
}

/** The process that runs a run: checked before another process may take the run over. */
export interface RunOwner {
  host: string;
  pid: number;
  /** The process's start time (Linux clock ticks since boot), so a reused pid is not taken for it. */
  started: string;
}

/**
 * Closed set of instance outcomes. `suspicious`: the log grades the final patch but the evidence
 * does not back it, or the patch tampers with the test run — never verified, never certified.
 * `internal_error`: a bug in swegate (its stack in `error`), neither the model's nor the machine's.
 */
export type InstanceStatus =
  | "verified"
  | "failed"
  | "suspicious"
  | "env_broken"
  | "infra_error"
  | "internal_error"
  | "skipped";

/** Outcomes of instances whose red gate reproduced the bug: the denominator of every verified rate. */
export function reproducedTheBug(status: InstanceStatus): boolean {
  return status === "verified" || status === "failed" || status === "suspicious";
}

/** One instance's outcome; field names are snake_case, as in the harness's reports. */
export interface InstanceResult {
  instance_id: string;
  repo: string;
  status: InstanceStatus;
  /** The final green gate was FULL. */
  verified: boolean;
  /** Final candidate patch ("" when none). */
  patch: string;
  /** Path of the signed certificate, or null. */
  certificate: string | null;
  red_gate_message: string;
  green_gate_message: string;
  /** What went wrong for infra failures and crashes, else null. */
  error: string | null;
  attempts_made: number;
  feedback_history: string[];
  feedback_mode: "oracle" | "blind";
  model: string;
  /** Token totals over all attempts. */
  tokens: { input: number; output: number; cache_read: number; cache_write: number };
  /** Total cost in USD; null when a price was unknown. */
  cost_usd: number | null;
  duration_ms: number;
  /** ISO time the outcome was recorded. */
  finished_at: string;
  /** Red gate details (verdict, reason, evidence, per-test statuses). */
  red_gate: unknown;
  /** Final green gate details. */
  green_gate: unknown;
  /** Environment the gates ran in. */
  environment: EnvironmentDescription | null;
  /** Why the instance was skipped or why it stopped (e.g. `env_broken: missing_dependency`). */
  reason: string | null;
}

/** A health-registry row: the red gate and gold-patch green gate for one instance in one environment. */
export interface HealthRecord {
  instance_id: string;
  /** Short hash of the environment (backend, interpreter, image, spec). */
  fingerprint: string;
  /** Red gate reproduced and the gold patch passed every test. */
  healthy: boolean;
  red_verdict: string;
  red_reason: string | null;
  /** Log lines behind the red verdict. */
  red_evidence: string[];
  /** Gold patch FULL; null when the green gate was not run. */
  green_resolved: boolean | null;
  environment: EnvironmentDescription;
  /** ISO time of the check. */
  checked_at: string;
  /** Wall time of both gates, milliseconds. */
  duration_ms: number;
}

export type { AttemptRecord };
