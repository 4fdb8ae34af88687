import type { KeyObject } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { AgentEventListener } from "../agent/agent-events.js";
import { createBlindChecker } from "../agent/create-blind-checker.js";
import { type Checker, type FeedbackMode, runAttemptLoop } from "../agent/run-attempt-loop.js";
import { canonicalize } from "../certificate/canonicalize.js";
import {
  CERTIFICATE_SCHEMA,
  type CertificateDocument,
  sha256,
  signCertificate,
} from "../certificate/certificate.js";
import type { Instance } from "../dataset/instance.js";
import type { Backend, EnvironmentDescription } from "../exec/backend.js";
import { environmentFingerprint } from "../grading/environment-fingerprint.js";
import { type GreenGateResult, runGreenGate } from "../grading/green-gate.js";
import { type RedGateResult, runRedGate } from "../grading/red-gate.js";
import { runInstanceTests } from "../grading/run-instance-tests.js";
import { scanPatchForTampering } from "../grading/scan-patch.js";
import { findTestMachineryEdits } from "../grading/test-machinery.js";
import type { Model } from "../model/model.js";
import { recordTranscript } from "../model/record-transcript.js";
import type { AttemptRecord } from "../store/attempt-record.js";
import { artifactPaths, type Store } from "../store/open-store.js";
import type { InstanceResult } from "../store/records.js";
import type { RepoCache } from "../workspace/repo-cache.js";
import { withWorkspace } from "../workspace/with-workspace.js";

export interface InstanceJob {
  instance: Instance;
  runId: string;
  model: Model;
  mode: FeedbackMode;
  maxAttempts: number;
  /** Offer the read-only tools to the model (providers that call tools). */
  tools?: boolean;
  backend: Backend;
  cache: RepoCache;
  store: Store;
  timeoutSeconds: number;
  datasetDigest: string;
  swegateVersion: string;
  /** Signs certificates of verified fixes; without it `certificate` stays null. */
  signingKey?: KeyObject;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
}

/** Writes an artefact file (awaited before the instance's result is committed). */
type SaveArtifact = (path: string, text: string) => void;

/** Events of the run layer (noun-verb), on top of the agent's. */
export type RunEvent =
  | { type: "instance-start"; instanceId: string }
  | { type: "gate-start"; instanceId: string; gate: "red" | "green" }
  | { type: "gate-end"; instanceId: string; gate: "red" | "green"; message: string }
  | { type: "instance-end"; result: InstanceResult }
  | Parameters<AgentEventListener>[0];

/**
 * One instance end to end, as an isolated unit: workspace → red gate (or the health registry's
 * cached env_broken verdict for this environment) → attempt loop → final green gate on the hidden
 * tests → certificate → one store transaction. Errors are caught and recorded as the outcome.
 * An instance interrupted by `job.signal` records nothing and returns undefined: what it saw was cut
 * short (a killed test run is no verdict), so a resume does it again from scratch.
 */
export async function processInstance(job: InstanceJob): Promise<InstanceResult | undefined> {
  const { instance, store } = job;
  const started = Date.now();
  const paths = artifactPaths(store.dir, job.runId, instance.instance_id);
  mkdirSync(paths.dir, { recursive: true });
  job.onEvent?.({ type: "instance-start", instanceId: instance.instance_id });
  const base: InstanceResult = {
    instance_id: instance.instance_id,
    repo: instance.repo,
    status: "failed",
    verified: false,
    patch: "",
    certificate: null,
    red_gate_message: "",
    green_gate_message: "",
    error: null,
    attempts_made: 0,
    feedback_history: [],
    feedback_mode: job.mode,
    model: job.model.id,
    tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0 },
    cost_usd: 0,
    duration_ms: 0,
    finished_at: "",
    red_gate: null,
    green_gate: null,
    environment: null,
    reason: null,
  };
  let attempts: AttemptRecord[] = [];
  let result: InstanceResult;
  let certificate: { path: string; sha256: string } | undefined;
  // Logs are written in the background while the instance goes on; all are on disk before the result is committed.
  const writes: Promise<void>[] = [];
  const save: SaveArtifact = (path, text) => writes.push(writeFile(path, text));
  try {
    const outcome = await withWorkspace(
      job.cache,
      { repo: instance.repo, baseCommit: instance.base_commit },
      (workspace) => solveInWorkspace(job, workspace.dir, base, paths, save),
    );
    result = outcome.result;
    attempts = outcome.attempts;
    certificate = outcome.certificate;
  } catch (error) {
    // A bug in swegate (a TypeError, say) is neither the model's failure nor the machine's: it is
    // recorded with its stack so it can be reported, and not retried (it would fail the same way).
    result = isSwegateBug(error)
      ? {
          ...base,
          status: "internal_error",
          error: (error as Error).stack ?? String(error),
          reason: "a bug in swegate: please report it with this instance's error",
        }
      : {
          ...base,
          status: "infra_error",
          error: `${(error as Error).message}`,
          reason: "swegate could not run this instance",
        };
  }
  if (job.signal?.aborted) {
    await Promise.allSettled(writes);
    return undefined;
  }
  save(paths.patch, result.patch);
  const failed = (await Promise.allSettled(writes)).find((write) => write.status === "rejected");
  if (failed)
    result = {
      ...result,
      status: "infra_error",
      verified: false,
      error: `could not write the instance's logs: ${(failed as PromiseRejectedResult).reason}`,
      reason: "swegate could not run this instance",
    };
  result.duration_ms = Date.now() - started;
  result.finished_at = new Date().toISOString();
  store.recordInstanceResult(job.runId, result, attempts, certificate);
  job.onEvent?.({ type: "instance-end", result });
  return result;
}

async function solveInWorkspace(
  job: InstanceJob,
  dir: string,
  base: InstanceResult,
  paths: ReturnType<typeof artifactPaths>,
  save: SaveArtifact,
): Promise<{
  result: InstanceResult;
  attempts: AttemptRecord[];
  certificate?: { path: string; sha256: string };
}> {
  const { instance } = job;
  const environment = await describeOnce(job.backend, dir);
  const fingerprint = environmentFingerprint(environment, instance);
  const emit = job.onEvent;
  const cached = job.store.getHealth(instance.instance_id, fingerprint);
  if (cached && cached.red_verdict === "env_broken") {
    // Known broken in this very environment: no test run and no model call.
    const message = `env_broken (${cached.red_reason}) from the health registry, checked ${cached.checked_at}`;
    return {
      result: {
        ...base,
        status: "env_broken",
        environment,
        red_gate_message: message,
        reason: `env_broken: ${cached.red_reason}`,
        red_gate: cached,
      },
      attempts: [],
    };
  }
  emit?.({ type: "gate-start", instanceId: instance.instance_id, gate: "red" });
  const redAt = new Date().toISOString();
  // The workspace was just created: a clean checkout of base_commit.
  const red = await runRedGate({
    instance,
    dir,
    backend: job.backend,
    timeoutSeconds: job.timeoutSeconds,
    clean: true,
  });
  // Cut short by an interrupt, the log is no verdict: nothing is said or kept (processInstance drops it).
  if (job.signal?.aborted) return { result: base, attempts: [] };
  save(paths.redLog, red.log);
  emit?.({ type: "gate-end", instanceId: instance.instance_id, gate: "red", message: red.message });
  const withRed = { ...base, environment, red_gate_message: red.message, red_gate: summarizeRed(red) };
  if (red.verdict !== "reproduced") {
    const status = red.verdict === "env_broken" ? "env_broken" : "skipped";
    return {
      result: {
        ...withRed,
        status,
        reason: red.verdict === "env_broken" ? `env_broken: ${red.reason}` : red.verdict,
      },
      attempts: [],
    };
  }

  const greenByPatch = new Map<string, GreenGateResult>();
  const green = async (patch: string) => {
    const known = greenByPatch.get(patch);
    if (known) return known;
    const outcome = await runGreenGate({
      instance,
      dir,
      patch,
      backend: job.backend,
      timeoutSeconds: job.timeoutSeconds,
    });
    greenByPatch.set(patch, outcome);
    return outcome;
  };
  const modeCheck: Checker =
    job.mode === "oracle"
      ? async ({ patch }) => {
          const outcome = await green(patch);
          return {
            passed: outcome.resolved,
            failureClass: classifyGreen(outcome),
            // The workspace path is this machine's business, not the model's.
            feedback: greenFeedback(outcome).replaceAll(dir, "."),
            summary: outcome.message,
            details: outcome,
          };
        }
      : createBlindChecker({
          backend: job.backend,
          baseCommit: instance.base_commit,
          timeoutSeconds: job.timeoutSeconds,
          runVisibleTests: async (workspaceDir, testFiles) => {
            const pseudo = {
              ...instance,
              test_patch: testFiles.map((file) => `diff --git a/${file} b/${file}\n`).join(""),
            };
            const run = await runInstanceTests({
              instance: pseudo,
              dir: workspaceDir,
              backend: job.backend,
              timeoutSeconds: job.timeoutSeconds,
            });
            return { statuses: run.statuses, log: run.log, timedOut: run.timedOut };
          },
        });
  const check = refuseTampering(modeCheck, instance);
  const model = recordTranscript(job.model, paths.transcript);
  const loop = await runAttemptLoop({
    instance,
    model,
    dir,
    maxAttempts: job.maxAttempts,
    tools: job.tools,
    mode: job.mode,
    check,
    onEvent: emit,
    signal: job.signal,
  });
  for (const attempt of loop.attempts)
    save(
      paths.attemptLog(attempt.attempt_number),
      `${attempt.raw_answer}\n\n--- apply ---\n${attempt.apply_result}\n\n--- check ---\n${attempt.check_result}\n`,
    );
  const totals = {
    tokens: {
      input: loop.usage.inputTokens,
      output: loop.usage.outputTokens,
      cache_read: loop.usage.cacheReadTokens,
      cache_write: loop.usage.cacheWriteTokens,
    },
    cost_usd: loop.cost_usd,
    attempts_made: loop.attempts.length,
    feedback_history: loop.feedback_history,
    patch: loop.patch,
  };
  // A refused key (`auth`) stops the whole run: like an interrupt, no final green gate is started.
  if (
    loop.stop_reason === "infra" ||
    loop.stop_reason === "refused" ||
    loop.stop_reason === "auth" ||
    loop.stop_reason === "aborted"
  ) {
    return {
      result: { ...withRed, ...totals, status: "infra_error", error: loop.error, reason: loop.stop_reason },
      attempts: loop.attempts,
    };
  }
  // The verdict always comes from the hidden tests, once, on the final patch (reused when oracle already ran it).
  emit?.({ type: "gate-start", instanceId: instance.instance_id, gate: "green" });
  const greenAt = new Date().toISOString();
  const final = loop.patch.trim() ? await green(loop.patch) : undefined;
  if (job.signal?.aborted) return { result: base, attempts: [] };
  if (final) save(paths.greenLog, final.log);
  const greenMessage = final?.message ?? "NO: the model produced no change";
  emit?.({ type: "gate-end", instanceId: instance.instance_id, gate: "green", message: greenMessage });
  const verified = final?.resolved === true;
  const suspicious = !verified && (final?.suspicious.length ?? 0) > 0;
  const result: InstanceResult = {
    ...withRed,
    ...totals,
    status: verified ? "verified" : suspicious ? "suspicious" : "failed",
    verified,
    green_gate_message: greenMessage,
    green_gate: final ? summarizeGreen(final) : null,
    reason: verified
      ? null
      : suspicious
        ? `suspicious: ${final?.suspicious[0]}`
        : final?.refused.length
          ? `refused: the patch changes the test machinery (${final.refused[0]})`
          : (loop.attempts.at(-1)?.failure_class ?? "no_change"),
  };
  if (verified && final && job.signingKey) {
    const document: CertificateDocument = {
      schema: CERTIFICATE_SCHEMA,
      instance_id: instance.instance_id,
      dataset_digest: job.datasetDigest,
      repo: instance.repo,
      base_commit: instance.base_commit,
      test_patch_sha256: sha256(instance.test_patch),
      patch_sha256: sha256(loop.patch),
      patch: loop.patch,
      red_gate: { verdict: red.verdict, tests: red.tests, log_sha256: sha256(red.log) },
      green_gate: {
        resolution: final.resolution,
        tests: final.tests,
        log_sha256: sha256(final.log),
        evidence: final.evidence,
      },
      environment: {
        backend: environment.backend,
        python_version: environment.pythonVersion,
        image_digest: environment.imageDigest,
        fingerprint,
      },
      model: job.model.id,
      feedback_mode: job.mode,
      attempts: loop.attempts.length,
      swegate_version: job.swegateVersion,
      created_at: new Date().toISOString(),
      red_at: redAt,
      green_at: greenAt,
    };
    // Canonical JSON on disk: every byte of the file is significant, so any change fails verification.
    const text = `${canonicalize(signCertificate(document, job.signingKey))}\n`;
    writeFileSync(paths.certificate, text);
    result.certificate = paths.certificate;
    return {
      result,
      attempts: loop.attempts,
      certificate: { path: paths.certificate, sha256: sha256(text) },
    };
  }
  return { result, attempts: loop.attempts };
}

/** Errors only a programming mistake throws; anything else (git, the disk, a backend) is infrastructure. */
function isSwegateBug(error: unknown): boolean {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError ||
    (error instanceof Error && error.name === "AssertionError")
  );
}

const descriptions = new WeakMap<Backend, Promise<EnvironmentDescription>>();

/** A backend's environment does not change during a run: ask once (it starts an interpreter). */
function describeOnce(backend: Backend, dir: string): Promise<EnvironmentDescription> {
  let description = descriptions.get(backend);
  if (!description) {
    description = backend.describe({ cwd: dir });
    descriptions.set(backend, description);
  }
  return description;
}

function classifyGreen(
  outcome: GreenGateResult,
): "tests_failed" | "regression" | "test_machinery" | "suspicious" | undefined {
  if (outcome.resolved) return undefined;
  if (outcome.refused.length > 0) return "test_machinery";
  if (outcome.suspicious.length > 0) return "suspicious";
  return outcome.tests_status && outcome.tests_status.PASS_TO_PASS.failure.length > 0
    ? "regression"
    : "tests_failed";
}

/** Oracle feedback: the failing hidden tests and the tail of their log (not valid for the leaderboard). */
function greenFeedback(outcome: GreenGateResult): string {
  if (outcome.resolved) return "";
  if (outcome.refused.length > 0) return refusalFeedback(outcome.refused);
  if (outcome.suspicious.length > 0) return suspicionFeedback(outcome.suspicious);
  if (!outcome.tests_status) return `Your change could not be tested: ${outcome.problem}`;
  const lines: string[] = [];
  if (outcome.tests_status.FAIL_TO_PASS.failure.length > 0)
    lines.push(`These tests should pass but fail: ${outcome.tests_status.FAIL_TO_PASS.failure.join(", ")}`);
  if (outcome.tests_status.PASS_TO_PASS.failure.length > 0)
    lines.push(
      `These tests passed before your change and now fail: ${outcome.tests_status.PASS_TO_PASS.failure.join(", ")}`,
    );
  const tail = outcome.log.trim().split("\n").slice(-40).join("\n");
  return `${lines.join("\n")}\n\nTest output (last lines):\n${tail}`;
}

const refusalFeedback = (reasons: string[]) =>
  `Your change was refused before any test ran: it changes files that decide how tests are collected, run or reported, which the grader does not allow:\n${reasons.map((reason) => `- ${reason}`).join("\n")}\nFix the behaviour in the code under test instead, and leave the test machinery alone.`;

const suspicionFeedback = (reasons: string[]) =>
  `Your change was not accepted: it looks like tampering with the test run, not a fix:\n${reasons.map((reason) => `- ${reason}`).join("\n")}\nRemove that code and fix the behaviour itself.`;

/**
 * Before any check runs (either mode): a candidate that changes the test machinery is refused, and
 * one whose added lines tamper with the test run is turned back, each with the reason as feedback.
 * Neither uses the hidden tests, so both are fair in blind mode too; the final green gate applies
 * the same rules again.
 */
function refuseTampering(check: Checker, instance: Instance): Checker {
  return async (input) => {
    const refused = await findTestMachineryEdits({ dir: input.dir, instance, patch: input.patch });
    if (refused.length > 0)
      return {
        passed: false,
        failureClass: "test_machinery",
        feedback: refusalFeedback(refused),
        summary: `refused: the patch changes the test machinery (${refused[0]})`,
      };
    const findings = scanPatchForTampering(input.patch, instance).map(
      (finding) => `${finding.path} ${finding.why} (${finding.rule}: ${finding.line.slice(0, 120)})`,
    );
    if (findings.length > 0)
      return {
        passed: false,
        failureClass: "suspicious",
        feedback: suspicionFeedback(findings),
        summary: `suspicious: ${findings[0]}`,
      };
    return check(input);
  };
}

const summarizeRed = (red: RedGateResult) => ({
  verdict: red.verdict,
  reason: red.reason,
  evidence: red.evidence,
  warnings: red.warnings,
  provisional: red.provisional,
  tests: red.tests,
  duration_ms: red.duration_ms,
});
const summarizeGreen = (green: GreenGateResult) => ({
  resolution: green.resolution,
  resolved: green.resolved,
  problem: green.problem,
  refused: green.refused,
  suspicious: green.suspicious,
  evidence: green.evidence,
  patch_applied_by: green.patch_applied_by,
  tests_status: green.tests_status,
  tests: green.tests,
  duration_ms: green.duration_ms,
});
