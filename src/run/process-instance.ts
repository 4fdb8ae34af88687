import type { KeyObject } from "node:crypto";
import { mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { AgentEventListener } from "../agent/agent-events.js";
import type { LocalizeMode } from "../agent/localize-with-model.js";
import { type AttemptLoopResult, type FeedbackMode, runAttemptLoop } from "../agent/run-attempt-loop.js";
import { backendScriptRunner, reproductionLog } from "../context/reproduce-issue.js";
import type { Instance } from "../dataset/instance.js";
import type { Backend, EnvironmentDescription } from "../exec/backend.js";
import { environmentFingerprint } from "../grading/environment-fingerprint.js";
import { type GreenGateResult, runGreenGate } from "../grading/green-gate.js";
import { type RedGateResult, runRedGate } from "../grading/red-gate.js";
import type { Model } from "../model/model.js";
import { recordTranscript } from "../model/record-transcript.js";
import type { AttemptRecord } from "../store/attempt-record.js";
import type { GreenGateSummary, RedGateSummary } from "../store/gate-records.js";
import { artifactPaths, type Store } from "../store/open-store.js";
import type { InstanceResult } from "../store/records.js";
import type { RepoCache } from "../workspace/repo-cache.js";
import { withWorkspace } from "../workspace/with-workspace.js";
import { writeCertificate } from "./instance-certificate.js";
import { createInstanceChecker, type GreenGate } from "./instance-checker.js";

/** One instance to process and everything it needs. */
export interface InstanceJob {
  /** The dataset row. */
  instance: Instance;
  /** The run it belongs to (names its artefact folder). */
  runId: string;
  /** The model that answers. */
  model: Model;
  /** Oracle or blind feedback. */
  mode: FeedbackMode;
  /** Most attempts. */
  maxAttempts: number;
  /** Offer the read-only tools to the model (providers that call tools). */
  tools?: boolean;
  /** Tokens of code shown on attempt 1 (estimated; default: the budget for models of no known family). */
  contextTokens?: number;
  /** `model`: one call before attempt 1 chooses the files shown first (default `retrieval`, no call). */
  localize?: LocalizeMode;
  /**
   * Run the issue's own code blocks in the instance's environment before attempt 1, so the traceback
   * of the failure the issue names shows where to look (`swegate run` does unless --no-reproduce).
   */
  reproduce?: boolean;
  /** Where the tests run. */
  backend: Backend;
  /** Repository mirrors and worktrees. */
  cache: RepoCache;
  /** Where the outcome is committed (and the health registry is read). */
  store: Store;
  /** Limit of one test run, seconds. */
  timeoutSeconds: number;
  /** sha256 of the dataset file (stated in certificates). */
  datasetDigest: string;
  /** This swegate's version (stated in certificates). */
  swegateVersion: string;
  /** Signs certificates of verified fixes; without it `certificate` stays null. */
  signingKey?: KeyObject;
  /** Hears the run's and the agent's events. */
  onEvent?: (event: RunEvent) => void;
  /** Interrupts the instance: nothing is recorded then. */
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
  const base = emptyResult(job);
  // Logs are written in the background while the instance goes on; all are on disk before the result is committed.
  const writes: Promise<void>[] = [];
  const save: SaveArtifact = (path, text) => writes.push(writeFile(path, text));
  let solved: Solved;
  try {
    solved = await withWorkspace(
      job.cache,
      { repo: instance.repo, baseCommit: instance.base_commit },
      (workspace) => solveInWorkspace({ job, dir: workspace.dir, paths, save }, base),
    );
  } catch (error) {
    solved = { result: resultOfError(base, error), attempts: [] };
  }
  if (job.signal?.aborted) {
    await Promise.allSettled(writes);
    return undefined;
  }
  save(paths.patch, solved.result.patch);
  const result = withLogsWritten(solved.result, await Promise.allSettled(writes));
  result.duration_ms = Date.now() - started;
  result.finished_at = new Date().toISOString();
  store.recordInstanceResult(job.runId, result, solved.attempts, solved.certificate);
  job.onEvent?.({ type: "instance-end", result });
  return result;
}

/** What one instance's work in its workspace yields. */
interface Solved {
  /** The outcome. */
  result: InstanceResult;
  /** Every attempt made. */
  attempts: AttemptRecord[];
  /** The certificate file, when a verified fix was signed. */
  certificate?: { path: string; sha256: string };
}

/** What every step of one instance shares. */
interface InstanceStep {
  /** The instance and its settings. */
  job: InstanceJob;
  /** The workspace folder. */
  dir: string;
  /** Where the instance's artefacts go. */
  paths: ReturnType<typeof artifactPaths>;
  /** Writes an artefact in the background. */
  save: SaveArtifact;
}

/** The steps, in order; each returns early with the instance's result when it ends the instance. */
async function solveInWorkspace(step: InstanceStep, base: InstanceResult): Promise<Solved> {
  const { job, dir } = step;
  const environment = await describeOnce(job.backend, dir);
  const fingerprint = environmentFingerprint(environment, job.instance);
  const known = knownBroken(job, fingerprint);
  if (known) return { result: { ...base, ...known, environment }, attempts: [] };
  const red = await redGateStep(step);
  // Cut short by an interrupt, the log is no verdict: nothing is said or kept (processInstance drops it).
  if (red === "aborted") return { result: base, attempts: [] };
  const withRed = { ...base, environment, red_gate_message: red.message, red_gate: summarizeRed(red) };
  if (red.verdict !== "reproduced") return { result: stoppedAtRed(withRed, red), attempts: [] };
  const green = greenGateOncePerPatch(step);
  const loop = await attemptsStep(step, green);
  // A refused key (`auth`) stops the whole run: like an interrupt, no final green gate is started.
  if (stoppedByInfrastructure(loop)) {
    const result: InstanceResult = { ...withRed, ...loopTotals(loop), status: "infra_error" };
    return { result: { ...result, error: loop.error, reason: loop.stop_reason }, attempts: loop.attempts };
  }
  const final = await finalGreenStep(step, loop.patch, green);
  if (final === "aborted") return { result: base, attempts: [] };
  const result = judgeFinalPatch(withRed, loop, final.green);
  if (!(result.verified && final.green && job.signingKey)) return { result, attempts: loop.attempts };
  const certificate = certify(step, job.signingKey, {
    red,
    green: final.green,
    loop,
    environment,
    fingerprint,
    greenAt: final.greenAt,
  });
  return { result: { ...result, certificate: certificate.path }, attempts: loop.attempts, certificate };
}

/** The result every instance starts from: nothing run, nothing spent. */
export function emptyResult(job: InstanceJob): InstanceResult {
  return {
    instance_id: job.instance.instance_id,
    repo: job.instance.repo,
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
}

/**
 * A bug in swegate (a TypeError, say) is neither the model's failure nor the machine's: it is
 * recorded with its stack so it can be reported, and not retried (it would fail the same way).
 */
function resultOfError(base: InstanceResult, error: unknown): InstanceResult {
  return isSwegateBug(error)
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

/** An instance whose logs could not all be written did not run as it should: infrastructure. */
function withLogsWritten(result: InstanceResult, writes: PromiseSettledResult<void>[]): InstanceResult {
  const failed = writes.find((write) => write.status === "rejected");
  if (!failed) return result;
  return {
    ...result,
    status: "infra_error",
    verified: false,
    error: `could not write the instance's logs: ${(failed as PromiseRejectedResult).reason}`,
    reason: "swegate could not run this instance",
  };
}

/** Health lookup: known broken in this very environment means no test run and no model call. */
function knownBroken(job: InstanceJob, fingerprint: string): Partial<InstanceResult> | undefined {
  const cached = job.store.getHealth(job.instance.instance_id, fingerprint);
  if (cached?.red_verdict !== "env_broken") return undefined;
  return {
    status: "env_broken",
    red_gate_message: `env_broken (${cached.red_reason}) from the health registry, checked ${cached.checked_at}`,
    reason: `env_broken: ${cached.red_reason}`,
    red_gate: cached,
  };
}

/** The red gate on the fresh checkout, with the time it started (for the certificate). */
async function redGateStep(step: InstanceStep): Promise<(RedGateResult & { redAt: string }) | "aborted"> {
  const { job, dir } = step;
  const instanceId = job.instance.instance_id;
  job.onEvent?.({ type: "gate-start", instanceId, gate: "red" });
  const redAt = new Date().toISOString();
  // The workspace was just created: a clean checkout of base_commit.
  const red = await runRedGate({
    instance: job.instance,
    dir,
    backend: job.backend,
    timeoutSeconds: job.timeoutSeconds,
    clean: true,
  });
  if (job.signal?.aborted) return "aborted";
  step.save(step.paths.redLog, red.log);
  job.onEvent?.({ type: "gate-end", instanceId, gate: "red", message: red.message });
  return { ...red, redAt };
}

/** A red gate that did not reproduce the bug ends the instance before any model call. */
function stoppedAtRed(withRed: InstanceResult, red: RedGateResult): InstanceResult {
  const broken = red.verdict === "env_broken";
  return {
    ...withRed,
    status: broken ? "env_broken" : "skipped",
    reason: broken ? `env_broken: ${red.reason}` : red.verdict,
  };
}

/** The green gate in this workspace, run once per distinct patch (oracle checks and the final verdict share it). */
function greenGateOncePerPatch({ job, dir }: InstanceStep): GreenGate {
  const greenByPatch = new Map<string, GreenGateResult>();
  return async (patch) => {
    const known = greenByPatch.get(patch);
    if (known) return known;
    const outcome = await runGreenGate({
      instance: job.instance,
      dir,
      patch,
      backend: job.backend,
      timeoutSeconds: job.timeoutSeconds,
    });
    greenByPatch.set(patch, outcome);
    return outcome;
  };
}

/** The attempt loop with the mode's checker and a recorded transcript; each attempt's log is saved. */
async function attemptsStep(step: InstanceStep, green: GreenGate): Promise<AttemptLoopResult> {
  const { job, dir, paths } = step;
  const check = createInstanceChecker({
    instance: job.instance,
    dir,
    mode: job.mode,
    backend: job.backend,
    timeoutSeconds: job.timeoutSeconds,
    green,
  });
  const loop = await runAttemptLoop({
    instance: job.instance,
    model: recordTranscript(job.model, paths.transcript),
    dir,
    maxAttempts: job.maxAttempts,
    tools: job.tools,
    contextTokenBudget: job.contextTokens,
    localize: job.localize,
    ...(job.reproduce
      ? {
          reproduce: backendScriptRunner(job.backend, dir, job.instance.base_commit),
        }
      : {}),
    mode: job.mode,
    check,
    onEvent: job.onEvent,
    signal: job.signal,
  });
  if (loop.reproduction) step.save(paths.reproduceLog, reproductionLog(loop.reproduction));
  for (const attempt of loop.attempts)
    step.save(
      paths.attemptLog(attempt.attempt_number),
      `${attempt.raw_answer}\n\n--- apply ---\n${attempt.apply_result}\n\n--- check ---\n${attempt.check_result}\n`,
    );
  return loop;
}

/** The loop ended on the machine's or the provider's side, not on a verdict about the model's patch. */
function stoppedByInfrastructure(loop: AttemptLoopResult): boolean {
  return (
    loop.stop_reason === "infra" ||
    loop.stop_reason === "refused" ||
    loop.stop_reason === "auth" ||
    loop.stop_reason === "aborted"
  );
}

/** What the attempts spent and produced, as the result's fields. */
function loopTotals(loop: AttemptLoopResult) {
  return {
    tokens: {
      input: loop.usage.inputTokens,
      output: loop.usage.outputTokens,
      cache_read: loop.usage.cacheReadTokens,
      cache_write: loop.usage.cacheWriteTokens,
      reasoning: loop.usage.reasoningTokens ?? 0,
    },
    cost_usd: loop.cost_usd,
    attempts_made: loop.attempts.length,
    feedback_history: loop.feedback_history,
    patch: loop.patch,
  };
}

/**
 * The verdict always comes from the hidden tests, once, on the final patch (reused when oracle
 * already ran it); no patch, no gate.
 */
async function finalGreenStep(
  step: InstanceStep,
  patch: string,
  green: GreenGate,
): Promise<{ green: GreenGateResult | undefined; greenAt: string } | "aborted"> {
  const { job } = step;
  const instanceId = job.instance.instance_id;
  job.onEvent?.({ type: "gate-start", instanceId, gate: "green" });
  const greenAt = new Date().toISOString();
  const final = patch.trim() ? await green(patch) : undefined;
  if (job.signal?.aborted) return "aborted";
  if (final) step.save(step.paths.greenLog, final.log);
  job.onEvent?.({ type: "gate-end", instanceId, gate: "green", message: greenMessage(final) });
  return { green: final, greenAt };
}

const greenMessage = (final: GreenGateResult | undefined) =>
  final?.message ?? "NO: the model produced no change";

/** verified │ suspicious │ failed, with the reason: tampering, a refusal, or the last attempt's failure. */
function judgeFinalPatch(
  withRed: InstanceResult,
  loop: AttemptLoopResult,
  final: GreenGateResult | undefined,
): InstanceResult {
  const verified = final?.resolved === true;
  const suspicious = !verified && (final?.suspicious.length ?? 0) > 0;
  return {
    ...withRed,
    ...loopTotals(loop),
    status: verified ? "verified" : suspicious ? "suspicious" : "failed",
    verified,
    green_gate_message: greenMessage(final),
    green_gate: final ? summarizeGreen(final) : null,
    reason: verified
      ? null
      : suspicious
        ? `suspicious: ${final?.suspicious[0]}`
        : final?.refused.length
          ? `refused: the patch changes the test machinery (${final.refused[0]})`
          : (loop.attempts.at(-1)?.failure_class ?? "no_change"),
  };
}

/** Signs the verified fix's certificate beside the instance's other artefacts. */
function certify(
  { job, paths }: InstanceStep,
  key: KeyObject,
  gates: {
    red: RedGateResult & { redAt: string };
    green: GreenGateResult;
    loop: AttemptLoopResult;
    environment: EnvironmentDescription;
    fingerprint: string;
    greenAt: string;
  },
): { path: string; sha256: string } {
  return writeCertificate(
    {
      instance: job.instance,
      datasetDigest: job.datasetDigest,
      patch: gates.loop.patch,
      red: gates.red,
      green: gates.green,
      environment: gates.environment,
      fingerprint: gates.fingerprint,
      model: job.model.id,
      mode: job.mode,
      attempts: gates.loop.attempts.length,
      swegateVersion: job.swegateVersion,
      redAt: gates.red.redAt,
      greenAt: gates.greenAt,
    },
    key,
    paths.certificate,
  );
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

const summarizeRed = (red: RedGateResult): RedGateSummary => ({
  verdict: red.verdict,
  reason: red.reason,
  evidence: red.evidence,
  warnings: red.warnings,
  provisional: red.provisional,
  tests: red.tests,
  duration_ms: red.duration_ms,
});
const summarizeGreen = (green: GreenGateResult): GreenGateSummary => ({
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
