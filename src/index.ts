// swegate as a library: the stable surface, one import for what a program needs to load and select
// datasets, run one instance or a batch, parse and grade test logs, and check certificates.
// Anything not exported here is internal and may change between versions; the CLI is not part of it.
//
// Evaluating a predictions file end to end (`swegate eval`: workspaces, the green gate per
// prediction, the harness's report layout) lives in the CLI command; a program evaluates one
// prediction with `runGreenGate` in a workspace at base_commit, or grades an evaluation log it
// already has with `buildHarnessReport`.

export type { FeedbackMode } from "./agent/run-attempt-loop.js";
/** Certificates: check one offline against the keys you trust. */
export {
  type Certificate,
  type TrustedKey,
  type VerificationCheck,
  verifyCertificate,
} from "./certificate/certificate.js";
export { readTrustedKeys } from "./certificate/trusted-keys.js";
export { loadDemoDataset } from "./dataset/demo/load-demo-dataset.js";
export type { Instance } from "./dataset/instance.js";
/** Datasets: JSONL, a JSON array or HuggingFace parquet, each row validated. */
export { type Dataset, loadDataset } from "./dataset/load-dataset.js";
export { type Prediction, readPredictions } from "./dataset/read-predictions.js";
export { type Selection, selectInstances } from "./dataset/select-instances.js";
/** Bad input (a file, a row, an option) and an environment that lacks something. */
export { EnvironmentError, UserError } from "./errors.js";
/** Where tests run: a subprocess, bubblewrap, or the official Docker images. */
export type { Backend, EnvironmentDescription } from "./exec/backend.js";
export { createDockerBackend } from "./exec/docker-backend.js";
export { createHostBackend } from "./exec/host-backend.js";
export { createIsolatedBackend } from "./exec/isolated-backend.js";
/** Grading exactly as the SWE-bench harness does: report.json from an evaluation log. */
export { buildHarnessReport, type HarnessReportEntry } from "./grading/build-harness-report.js";
export { type GradeResult, gradeInstance, type Resolution } from "./grading/grade-instance.js";
export { type GreenGateResult, runGreenGate } from "./grading/green-gate.js";
/** Test log parsers, by the harness's names (`parse_log_pytest`, `parse_log_django`, …). */
export { getLogParser, logParserNames } from "./grading/log-parsers.js";
export { type RedGateResult, runRedGate } from "./grading/red-gate.js";
export type { LogParser, StatusMap, TestStatus } from "./grading/test-status.js";
/** Models: `provider:model-id`, `oracle` or `demo`. */
export { createModel } from "./model/create-model.js";
export type { Model } from "./model/model.js";
/** Running: one instance end to end, or a resumable batch of them. */
export { type InstanceJob, processInstance, type RunEvent } from "./run/process-instance.js";
export { type BatchOptions, type BatchOutcome, newRunId, runBatch } from "./run/run-batch.js";
/** The store and what it records. */
export type { AttemptRecord, FailureClass } from "./store/attempt-record.js";
export type { GreenGateSummary, RedGateSummary, RedVerdict } from "./store/gate-records.js";
export { openStore, type Store } from "./store/open-store.js";
export type { HealthRecord, InstanceResult, InstanceStatus, RunRecord, RunStatus } from "./store/records.js";
/** Repository mirrors and the worktrees instances run in. */
export { createRepoCache, type RepoCache } from "./workspace/repo-cache.js";
