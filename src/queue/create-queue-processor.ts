import { Job, Queue, QueueEvents } from "bullmq";
import type { InstanceJob, RunEvent } from "../run/process-instance.js";
import type { InstanceResult } from "../store/records.js";
import {
  openRedis,
  QUEUE_NAME,
  type QueueAddress,
  reportQueueProblems,
  requireReachable,
} from "./queue-connection.js";
import { type QueuedInstance, type QueuedOutcome, queueJobId } from "./queued-instance.js";
import { failedJobResult, recordQueuedOutcome } from "./record-queued-outcome.js";

/** What a queued run sends with every job besides the instance (the run's settings a worker needs). */
export interface QueuedRunSettings {
  /** The model spec. */
  model: string;
  /** The provider endpoint, if any. */
  baseUrl?: string;
  /** Retries of one model call. */
  maxRetries?: number;
  /** Most model calls a minute across every worker; undefined: no limit. */
  rpm?: number;
  /** Retries of an instance ending in infra_error, done by the worker. */
  infraRetries: number;
  /** `demo` or the dataset's path. */
  datasetSource: string;
}

/** Finished jobs (results, logs) stay in Redis this long for a coordinator to collect, seconds. */
const KEEP_FINISHED_SECONDS = 14 * 24 * 3600;
/** Tries of a job whose worker fails it outright (no API key there, say) before it is recorded as infra_error. */
const JOB_TRIES = 3;

/** In place of `processInstance`: each instance handed to the workers through the queue. */
export interface QueueProcessor {
  processInstance: (job: InstanceJob) => Promise<InstanceResult | undefined>;
  /** Stops listening and closes the connections (the jobs stay in Redis). */
  close: () => Promise<void>;
}

interface Waiter {
  job: InstanceJob;
  resolve: (result: InstanceResult | undefined) => void;
}

/**
 * Connects to the queue. Each instance becomes a job whose id is made from the run and the instance,
 * so enqueuing it again (a second coordinator, a resume) adds nothing; a job already finished (its
 * coordinator was killed) is collected at once. The workers' progress comes back as the run's events;
 * each finished job is recorded in the coordinator's store (`recordQueuedOutcome`).
 */
export async function createQueueProcessor(
  address: QueueAddress,
  settings: QueuedRunSettings,
  knownBroken: (instanceId: string) => QueuedInstance["knownBroken"],
): Promise<QueueProcessor> {
  await requireReachable(address);
  // BullMQ leaves connections it was given open on close: they are closed here, after it.
  const connections = [openRedis(address), openRedis(address)] as const;
  const queue = new Queue<QueuedInstance, QueuedOutcome>(QUEUE_NAME, { connection: connections[0] });
  const events = new QueueEvents(QUEUE_NAME, { connection: connections[1] });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  reportQueueProblems(queue, events);
  const waiters = new Map<string, Waiter>();
  const finish = (id: string, result: InstanceResult | undefined) => {
    const waiter = waiters.get(id);
    if (!waiter) return;
    waiters.delete(id);
    waiter.resolve(result);
  };
  // Called on every sign that a job may have ended; records it once, whichever sign came first.
  const settle = async (id: string) => {
    const waiter = waiters.get(id);
    if (!waiter) return;
    const job = await Job.fromId<QueuedInstance, QueuedOutcome>(queue, id);
    const state = await job?.getState();
    if (!job || (state !== "completed" && state !== "failed") || !waiters.has(id)) return;
    waiters.delete(id);
    let result: InstanceResult;
    try {
      result =
        state === "completed"
          ? recordQueuedOutcome(waiter.job, job.returnvalue)
          : recordFailure(waiter.job, job.failedReason);
    } catch (error) {
      // Not recorded here (a full disk, say): the result stays in Redis for a resume to collect.
      process.stderr.write(`swegate: could not record ${id}: ${(error as Error).message}\n`);
      waiter.resolve(undefined);
      return;
    }
    waiter.job.onEvent?.({ type: "instance-end", result });
    waiter.resolve(result);
  };
  const settleQuietly = (id: string) =>
    settle(id).catch((error) => {
      const waiter = waiters.get(id);
      if (!waiter) return;
      waiters.delete(id);
      waiter.resolve(undefined);
      process.stderr.write(`swegate: could not collect ${id} from the queue: ${(error as Error).message}\n`);
    });
  events.on("progress", ({ jobId, data }) => {
    const waiter = waiters.get(jobId);
    if (waiter && typeof data === "object" && data !== null) waiter.job.onEvent?.(data as RunEvent);
  });
  events.on("completed", ({ jobId }) => void settleQuietly(jobId));
  events.on("failed", ({ jobId }) => void settleQuietly(jobId));
  return {
    processInstance: (job) =>
      new Promise((resolve) => {
        const id = queueJobId(job.runId, job.instance.instance_id);
        waiters.set(id, { job, resolve });
        // An interrupted coordinator leaves the job to the workers: a resume collects its result.
        job.signal?.addEventListener("abort", () => finish(id, undefined), { once: true });
        const data: QueuedInstance = {
          runId: job.runId,
          instance: job.instance,
          datasetSource: settings.datasetSource,
          datasetDigest: job.datasetDigest,
          model: settings.model,
          ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl }),
          ...(settings.maxRetries === undefined ? {} : { maxRetries: settings.maxRetries }),
          ...(settings.rpm === undefined ? {} : { rpm: settings.rpm }),
          mode: job.mode,
          maxAttempts: job.maxAttempts,
          tools: job.tools === true,
          ...(job.contextTokens === undefined ? {} : { contextTokens: job.contextTokens }),
          ...(job.localize === undefined ? {} : { localize: job.localize }),
          ...(job.reproduce ? { reproduce: true } : {}),
          timeoutSeconds: job.timeoutSeconds,
          infraRetries: settings.infraRetries,
          knownBroken: knownBroken(job.instance.instance_id),
        };
        // BullMQ ignores an add whose job id exists (waiting, running or finished): nothing is enqueued twice.
        queue
          .add("instance", data, {
            jobId: id,
            attempts: JOB_TRIES,
            backoff: { type: "fixed", delay: 5_000 },
            removeOnComplete: { age: KEEP_FINISHED_SECONDS },
            removeOnFail: { age: KEEP_FINISHED_SECONDS },
          })
          .then(() => settleQuietly(id))
          .catch((error) => {
            finish(id, undefined);
            process.stderr.write(`swegate: could not enqueue ${id}: ${(error as Error).message}\n`);
          });
      }),
    close: async () => {
      await events.close();
      await queue.close();
      for (const connection of connections) connection.disconnect();
    },
  };
}

/** A job every worker failed: recorded as the infrastructure error it is, with the worker's words. */
function recordFailure(job: InstanceJob, failedReason: string): InstanceResult {
  const result = failedJobResult(job, `the queue's workers could not run it: ${failedReason}`);
  job.store.recordInstanceResult(job.runId, result, []);
  return result;
}
