import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { type Job, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Certificate } from "../certificate/certificate.js";
import type { Instance } from "../dataset/instance.js";
import type { Backend } from "../exec/backend.js";
import { withSignal } from "../exec/with-signal.js";
import type { Model } from "../model/model.js";
import { evaluatePrediction } from "../run/evaluate-prediction.js";
import { processInstance, type RunEvent } from "../run/process-instance.js";
import { validateInstance } from "../run/validate-instance.js";
import { artifactPaths, type Store } from "../store/open-store.js";
import type { InstanceResult, RunRecord } from "../store/records.js";
import type { RepoCache } from "../workspace/repo-cache.js";
import { QUEUE_NAME } from "./queue-connection.js";
import {
  ARTIFACT_NAME,
  cutLargeLog,
  EVAL_FILE,
  EVAL_JOB,
  type QueuedArtifact,
  type QueuedEvaluation,
  type QueuedEvaluationOutcome,
  type QueuedHealth,
  type QueuedInstance,
  type QueuedOutcome,
  type QueuedValidation,
  VALIDATE_JOB,
  type WorkerIdentity,
} from "./queued-instance.js";

export interface QueueWorkerOptions {
  /** The Redis connection (BullMQ duplicates it for blocking reads). */
  connection: Redis;
  /** Instances processed at once by this process. */
  concurrency: number;
  /**
   * How long a job stays this worker's without a sign of life, milliseconds: a worker gone silent
   * (killed, its machine gone) loses its jobs to the others after about this long (BullMQ's lock
   * and stalled check). The lock is renewed every half of it while the instance runs.
   */
  lockMs: number;
  /** A store of this process's own, where instances are recorded before being handed back. */
  scratch: Store;
  /** The model a job's run names, with this machine's key. Throws (no key) fail the job: another worker retries it. */
  modelFor: (job: QueuedInstance) => Model;
  /** Where an instance's tests run on this machine. */
  backendFor: (instance: Instance) => Backend;
  /** The repository cache for a run's dataset (`demo` builds the demo's repositories here). */
  cacheFor: (datasetSource: string) => RepoCache;
  /** This swegate's version. */
  swegateVersion: string;
  /** Aborted to stop: the instances in flight are stopped and put back on the queue for another worker. */
  signal: AbortSignal;
  /** One line per instance taken and finished, for the worker's own console. */
  say: (line: string) => void;
  /** Told once when a provider refuses this machine's key: the worker stops taking jobs. */
  onRefusedKey: (message: string) => void;
}

/** Events a worker passes on to the run's coordinator as the job's progress (small ones only). */
const FORWARDED = new Set(["instance-start", "gate-start", "gate-end", "attempt-start"]);

/** This process, as the runs it works for see it. */
export const workerName = () => `${hostname()}-${process.pid}`;

/** A job of the queue: a run's instance, or an instance to validate with its gold patch. */
type AnyData = QueuedInstance | QueuedValidation | QueuedEvaluation;
type AnyOutcome = QueuedOutcome | QueuedHealth | QueuedEvaluationOutcome;
type AnyJob = Job<AnyData, AnyOutcome>;

/**
 * Takes instance jobs off the queue and runs each exactly as a local run does (`processInstance`),
 * recording it in a scratch store first, then hands back the result, its attempts and its artefacts.
 * The certificate of a verified fix is signed with a throwaway key: only the coordinator's key
 * certifies, and the coordinator signs it again after checking it names its own instance.
 * A validation job (`validate --queue`) runs the gates with the gold patch as a local validate does
 * and hands back the health verdict; an evaluation job (`eval --queue`) evaluates a prediction as a
 * local eval does and hands back the files of its folder.
 */
export function startQueueWorker(options: QueueWorkerOptions): Worker<AnyData, AnyOutcome> {
  // A worker holds no signing key of the user's; this one lets processInstance write the certificate document.
  const throwawayKey = generateKeyPairSync("ed25519").privateKey;
  const backendFor = withSignal(options.backendFor, options.signal);
  // What every answer names as the machine that ran it.
  const worker: WorkerIdentity = {
    host: hostname(),
    pid: process.pid,
    swegateVersion: options.swegateVersion,
  };
  const validate = async (job: Job<QueuedValidation, QueuedHealth>, token?: string) => {
    const { instance, runId, datasetSource, timeoutSeconds } = job.data;
    options.say(`${instance.instance_id} (validation ${runId}): taken`);
    const validation = await validateInstance({
      instance,
      backend: backendFor(instance),
      cache: options.cacheFor(datasetSource),
      timeoutSeconds,
      signal: options.signal,
    });
    if (!validation) {
      // Stopped: a gate cut short is no verdict; the instance goes back for another worker.
      await job.moveToWait(token);
      options.say(`${instance.instance_id} (validation ${runId}): put back on the queue`);
      throw new WaitingError();
    }
    options.say(
      `${instance.instance_id} (validation ${runId}): ${validation.record.healthy ? "healthy" : "unhealthy"}`,
    );
    return {
      validation,
      worker,
    };
  };
  const evaluate = async (job: Job<QueuedEvaluation, QueuedEvaluationOutcome>, token?: string) => {
    const { instance, runId, prediction, datasetSource, timeoutSeconds } = job.data;
    options.say(`${instance.instance_id} (evaluation ${runId}): taken`);
    const dir = mkdtempSync(join(tmpdir(), "swegate-eval-"));
    try {
      await evaluatePrediction({
        instance,
        prediction,
        dir,
        cache: options.cacheFor(datasetSource),
        backendFor,
        describe: (backend, cwd) => backend.describe({ cwd }),
        timeoutSeconds,
        signal: options.signal,
      });
      if (options.signal.aborted) {
        // Stopped: an evaluation cut short is none; the prediction goes back for another worker.
        await job.moveToWait(token);
        options.say(`${instance.instance_id} (evaluation ${runId}): put back on the queue`);
        throw new WaitingError();
      }
      const files: QueuedArtifact[] = readdirSync(dir)
        .filter((name) => EVAL_FILE.test(name))
        .sort()
        .map((name) => {
          const text = readFileSync(join(dir, name), "utf8");
          return { name, text: name === "report.json" || name === "patch.diff" ? text : cutLargeLog(text) };
        });
      const graded = files.some((file) => file.name === "report.json");
      options.say(`${instance.instance_id} (evaluation ${runId}): ${graded ? "graded" : "no report"}`);
      return {
        files,
        worker,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const runInstance = async (job: Job<QueuedInstance, QueuedOutcome>, token?: string) => {
    const data = job.data;
    const { instance, runId } = data;
    const store = options.scratch;
    // The scratch store keeps results under their run, as any store does.
    if (!store.getRun(runId)) store.createRun(scratchRun(data, options.swegateVersion));
    for (const health of data.knownBroken) store.putHealth(health);
    const paths = artifactPaths(store.dir, runId, instance.instance_id);
    rmSync(paths.dir, { recursive: true, force: true });
    const model = options.modelFor(data);
    options.say(`${instance.instance_id} (run ${runId}): taken`);
    const onEvent = (event: RunEvent) => {
      if (!FORWARDED.has(event.type)) return;
      job.updateProgress({ ...event, worker: workerName() }).catch(() => undefined);
    };
    let result: InstanceResult | undefined;
    for (let attempt = 0; attempt <= data.infraRetries; attempt++) {
      result = await processInstance({
        instance,
        runId,
        model,
        mode: data.mode,
        maxAttempts: data.maxAttempts,
        tools: data.tools,
        contextTokens: data.contextTokens,
        localize: data.localize,
        reproduce: data.reproduce === true,
        backend: backendFor(instance),
        cache: options.cacheFor(data.datasetSource),
        store,
        timeoutSeconds: data.timeoutSeconds,
        datasetDigest: data.datasetDigest,
        swegateVersion: options.swegateVersion,
        signingKey: throwawayKey,
        onEvent,
        signal: options.signal,
      });
      // A refused answer or key would be refused again: only other infrastructure errors are retried.
      if (result?.status !== "infra_error" || result.reason === "refused" || result.reason === "auth") break;
    }
    if (!result || result.reason === "auth") {
      // Stopped (or this machine's key refused): the instance goes back to the queue for another worker.
      if (result) options.onRefusedKey(result.error ?? "the provider refused the API key");
      await job.moveToWait(token);
      options.say(`${instance.instance_id} (run ${runId}): put back on the queue`);
      throw new WaitingError();
    }
    const outcome = collectOutcome(result, store, runId, instance.instance_id, worker);
    rmSync(paths.dir, { recursive: true, force: true });
    options.say(`${instance.instance_id} (run ${runId}): ${result.status}`);
    return outcome;
  };
  const process_ = (job: AnyJob, token?: string): Promise<AnyOutcome> =>
    job.name === VALIDATE_JOB
      ? validate(job as Job<QueuedValidation, QueuedHealth>, token)
      : job.name === EVAL_JOB
        ? evaluate(job as Job<QueuedEvaluation, QueuedEvaluationOutcome>, token)
        : runInstance(job as Job<QueuedInstance, QueuedOutcome>, token);
  return new Worker<AnyData, AnyOutcome>(QUEUE_NAME, process_, {
    connection: options.connection,
    concurrency: options.concurrency,
    name: workerName(),
    lockDuration: options.lockMs,
    stalledInterval: options.lockMs,
    // A job whose workers keep dying is more likely to kill the next one than to finish.
    maxStalledCount: 3,
  });
}

/** The scratch store's record of a run the worker takes an instance of (only its id matters there). */
function scratchRun(data: QueuedInstance, swegateVersion: string): RunRecord {
  const now = new Date().toISOString();
  return {
    run_id: data.runId,
    created_at: now,
    updated_at: now,
    status: "running",
    model: data.model,
    mode: data.mode,
    dataset_source: data.datasetSource,
    dataset_digest: data.datasetDigest,
    selection: [],
    config: {},
    swegate_version: swegateVersion,
  };
}

/** The instance's result, attempts and artefact files, read back from the scratch store. */
function collectOutcome(
  result: InstanceResult,
  store: Store,
  runId: string,
  instanceId: string,
  worker: WorkerIdentity,
): QueuedOutcome {
  const paths = artifactPaths(store.dir, runId, instanceId);
  const artifacts: QueuedArtifact[] = [];
  for (const name of existsSync(paths.dir) ? readdirSync(paths.dir).sort() : []) {
    if (!ARTIFACT_NAME.test(name)) continue;
    const text = readFileSync(join(paths.dir, name), "utf8");
    artifacts.push({ name, text: name.endsWith(".log") ? cutLargeLog(text) : text });
  }
  const certificate =
    result.certificate && existsSync(paths.certificate)
      ? (JSON.parse(readFileSync(paths.certificate, "utf8")) as Certificate)
      : undefined;
  return {
    result: { ...result, certificate: null },
    attempts: store.getAttempts(runId, instanceId),
    artifacts,
    ...(certificate ? { certificate } : {}),
    worker,
  };
}
