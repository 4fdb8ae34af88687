import type { EnvironmentDescription } from "../exec/backend.js";
import type { GreenGateSummary, RedGateSummary, RedVerdict } from "./gate-records.js";

/** Closed set of run statuses. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Every run status: the store's CHECK constraint and row parser use it. */
export const RUN_STATUSES = ["running", "completed", "interrupted", "budget_exceeded", "failed"] as const;

/** Which signals fed back into the next attempt (oracle: hidden tests; blind: what a developer has). */
export type FeedbackMode = "oracle" | "blind";

/** One invocation over a selection of instances, with the settings it keeps for a resume. */
export interface RunRecord {
  /** The run's id (a safe name: it names the run's artefact folder). */
  run_id: string;
  /** ISO time the run was created. */
  created_at: string;
  /** ISO time of the last change. */
  updated_at: string;
  /** Where the run stands. */
  status: RunStatus;
  /** `provider:model-id`, or `demo` / `oracle`. */
  model: string;
  /** Feedback mode that produced the results. */
  mode: FeedbackMode;
  /** Dataset path or `demo`. */
  dataset_source: string;
  /** sha256 of the dataset file. */
  dataset_digest: string;
  /** Selected instance ids, in order. */
  selection: string[];
  /** Options the run was started with. */
  config: Record<string, unknown>;
  /** The swegate version that created the run. */
  swegate_version: string;
  /** The process running it while `running` (absent once it ended, and in stores from before owners). */
  owner?: RunOwner | null;
}

/** The process that runs a run: checked before another process may take the run over. */
export interface RunOwner {
  /** Host name of the machine it runs on. */
  host: string;
  /** Its process id on that machine. */
  pid: number;
  /** The process's start time (Linux clock ticks since boot), so a reused pid is not taken for it. */
  started: string;
}

/**
 * Closed set of instance outcomes. `suspicious`: the log grades the final patch but the evidence
 * does not back it, or the patch tampers with the test run — never verified, never certified.
 * `internal_error`: a bug in swegate (its stack in `error`), neither the model's nor the machine's.
 */
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Every instance status: the store's CHECK constraint and row parser use it. */
export const INSTANCE_STATUSES = [
  "verified",
  "failed",
  "suspicious",
  "env_broken",
  "infra_error",
  "internal_error",
  "skipped",
] as const;

/** Outcomes of instances whose red gate reproduced the bug: the denominator of every verified rate. */
export function reproducedTheBug(status: InstanceStatus): boolean {
  return status === "verified" || status === "failed" || status === "suspicious";
}

/** One instance's outcome; field names are snake_case, as in the harness's reports. */
export interface InstanceResult {
  /** The dataset row's id. */
  instance_id: string;
  /** `owner/name` of the repository. */
  repo: string;
  /** The outcome. */
  status: InstanceStatus;
  /** The final green gate was FULL. */
  verified: boolean;
  /** Final candidate patch ("" when none). */
  patch: string;
  /** Path of the signed certificate, or null. */
  certificate: string | null;
  /** The red gate's one line for people ("" when it did not run). */
  red_gate_message: string;
  /** The final green gate's one line for people ("" when it did not run). */
  green_gate_message: string;
  /** What went wrong for infra failures and crashes, else null. */
  error: string | null;
  /** Attempts the model was given. */
  attempts_made: number;
  /** Feedback texts sent to the model, in order. */
  feedback_history: string[];
  /** Feedback mode of the attempts. */
  feedback_mode: FeedbackMode;
  /** The model's id (`provider:model-id`, `demo`, `oracle`). */
  model: string;
  /** Token totals over all attempts. */
  /** `reasoning` is the part of `output` spent thinking, where the provider reports it (absent in older records). */
  tokens: { input: number; output: number; cache_read: number; cache_write: number; reasoning?: number };
  /** Total cost in USD; null when a price was unknown. */
  cost_usd: number | null;
  /** Wall time of the whole instance, milliseconds. */
  duration_ms: number;
  /** ISO time the outcome was recorded. */
  finished_at: string;
  /**
   * Red gate details; the health record itself when its cached env_broken verdict stopped the
   * instance without a test run; null when no gate ran.
   */
  red_gate: RedGateSummary | HealthRecord | null;
  /** Final green gate details; null when it did not run. */
  green_gate: GreenGateSummary | null;
  /** Environment the gates ran in. */
  environment: EnvironmentDescription | null;
  /** Why the instance was skipped or why it stopped (e.g. `env_broken: missing_dependency`). */
  reason: string | null;
}

/** A health-registry row: the red gate and gold-patch green gate for one instance in one environment. */
export interface HealthRecord {
  /** The dataset row's id. */
  instance_id: string;
  /** Short hash of the environment (backend, interpreter, image, spec). */
  fingerprint: string;
  /** Red gate reproduced and the gold patch passed every test. */
  healthy: boolean;
  /** The red gate's verdict (env_broken too when only the gold patch could have cured it). */
  red_verdict: RedVerdict;
  /** Why the environment is broken (one of grading's fixed reasons); null otherwise. */
  red_reason: string | null;
  /** Log lines behind the red verdict. */
  red_evidence: string[];
  /** Gold patch FULL; null when the green gate was not run. */
  green_resolved: boolean | null;
  /** The environment both gates ran in. */
  environment: EnvironmentDescription;
  /** ISO time of the check. */
  checked_at: string;
  /** Wall time of both gates, milliseconds. */
  duration_ms: number;
}
