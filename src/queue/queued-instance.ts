import type { LocalizeMode } from "../agent/localize-with-model.js";
import type { Certificate } from "../certificate/certificate.js";
import type { Instance } from "../dataset/instance.js";
import type { Prediction } from "../dataset/read-predictions.js";
import type { Validation } from "../run/validate-instance.js";
import type { AttemptRecord } from "../store/attempt-record.js";
import type { FeedbackMode, HealthRecord, InstanceResult } from "../store/records.js";

/** What a coordinator puts on the queue for one instance of a run: everything a worker needs but keys. */
export interface QueuedInstance {
  /** The run it belongs to. */
  runId: string;
  /** The dataset row. */
  instance: Instance;
  /** `demo`, or the dataset's path on the coordinator (the demo's repositories are built where it runs). */
  datasetSource: string;
  /** sha256 of the dataset file (stated in the certificate). */
  datasetDigest: string;
  /** The model spec (`anthropic:MODEL`, `oracle`, …); the worker reads its key from its own environment. */
  model: string;
  /** The provider endpoint, if the run names one. */
  baseUrl?: string;
  /** Retries of one model call (undefined: the provider layer's default). */
  maxRetries?: number;
  /** Most model calls a minute across every worker (`run --rpm`); undefined: no limit. */
  rpm?: number;
  /** Oracle or blind feedback. */
  mode: FeedbackMode;
  /** Most attempts. */
  maxAttempts: number;
  /** Offer the read-only tools to the model. */
  tools: boolean;
  /** Tokens of code shown on attempt 1 (absent: the default budget). */
  contextTokens?: number;
  /** `model`: one call before attempt 1 chooses the files shown first (absent: retrieval). */
  localize?: LocalizeMode;
  /** Run the code blocks in the environment before attempt 1 (absent: not run). */
  reproduce?: boolean;
  /** Limit of one test run, seconds. */
  timeoutSeconds: number;
  /** Retries of the instance when it ends in infra_error. */
  infraRetries: number;
  /** The coordinator's health registry rows saying this instance's environment is broken (by fingerprint). */
  knownBroken: HealthRecord[];
}

/** One artefact file of the instance's folder, by name (`red.log`, `attempt-2.log`, …). */
export interface QueuedArtifact {
  /** File name inside the instance's artefact folder. */
  name: string;
  /** Its text (a large log cut in the middle, with a note saying so). */
  text: string;
}

/** The machine and process that ran a job, and its swegate. */
export interface WorkerIdentity {
  host: string;
  pid: number;
  swegateVersion: string;
}

/** What a worker hands back for one instance. */
export interface QueuedOutcome {
  /** The outcome, as `processInstance` returned it (`certificate` null: the worker holds no signing key). */
  result: InstanceResult;
  /** Every attempt made. */
  attempts: AttemptRecord[];
  /** The instance folder's files. */
  artifacts: QueuedArtifact[];
  /** For a verified fix: the certificate the worker wrote, signed by a throwaway key; the coordinator signs it again with its own. */
  certificate?: Certificate;
  /** The machine that ran it: `host` and process id. */
  worker: WorkerIdentity;
}

/** The BullMQ job name of a gold-patch validation (`validate --queue`); a run's instances are `instance` jobs. */
export const VALIDATE_JOB = "validate";

/** What `validate --queue` puts on the queue for one instance: the gates with the gold patch, no model. */
export interface QueuedValidation {
  /** The validation it belongs to (`validate-…`, one per command): `swegate workers` shows it as the run. */
  runId: string;
  /** The dataset row. */
  instance: Instance;
  /** `demo`, or the dataset's path on the coordinator. */
  datasetSource: string;
  /** Limit of one test run, seconds. */
  timeoutSeconds: number;
}

/** What a worker hands back for a validation: the health verdict in its environment. */
export interface QueuedHealth {
  /** The verdict and the gates' words, as a local validate has them. */
  validation: Validation;
  /** The machine that ran it. */
  worker: WorkerIdentity;
}

/** The BullMQ job name of a prediction's evaluation (`eval --queue`). */
export const EVAL_JOB = "eval";

/** What `eval --queue` puts on the queue for one prediction: the harness's evaluation of it. */
export interface QueuedEvaluation {
  /** The eval command's id (`eval-…`): `swegate workers` shows it as the run. */
  runId: string;
  /** The dataset row. */
  instance: Instance;
  /** The prediction to evaluate. */
  prediction: Prediction;
  /** `demo`, or the dataset's path on the coordinator. */
  datasetSource: string;
  /** Limit of the test run, seconds. */
  timeoutSeconds: number;
}

/** What a worker hands back for an evaluation: the files of the harness's per-instance folder. */
export interface QueuedEvaluationOutcome {
  /** `patch.diff`, `run_instance.log`, and `test_output.txt` and `report.json` when the tests ran. */
  files: QueuedArtifact[];
  /** The machine that ran it. */
  worker: WorkerIdentity;
}

/** The files of an evaluation's folder a worker may send; anything else is refused. */
export const EVAL_FILE = /^(patch\.diff|test_output\.txt|report\.json|run_instance\.log)$/;

/** Artefact names a worker may send; anything else is refused so no worker can write elsewhere. */
export const ARTIFACT_NAME =
  /^(red\.log|green\.log|reproduce\.log|attempt-\d{1,3}\.log|patch\.diff|transcript\.jsonl)$/;

/** Logs above this size travel as their head and tail with a note between (bytes of text). */
export const MAX_LOG_CHARS = 2_000_000;

/** A log cut to its first and last million characters, with a note saying what was left out. */
export function cutLargeLog(text: string, limit = MAX_LOG_CHARS): string {
  if (text.length <= limit) return text;
  const half = Math.floor(limit / 2);
  const cut = text.length - 2 * half;
  return `${text.slice(0, half)}\n[swegate: ${cut} characters of this log were cut here by the queue worker that ran it; logs over ${limit} characters travel as their beginning and end]\n${text.slice(-half)}`;
}

/**
 * The queue job id of an instance of a run. BullMQ refuses `:` in custom ids, and the id must name
 * one (run, instance) pair only: both parts are percent-encoded and joined by `+`, which encoding escapes.
 */
export function queueJobId(runId: string, instanceId: string): string {
  return `${encodeURIComponent(runId)}+${encodeURIComponent(instanceId)}`;
}
