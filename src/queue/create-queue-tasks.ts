import { randomBytes } from "node:crypto";
import { Job, Queue, QueueEvents } from "bullmq";
import type { Instance } from "../dataset/instance.js";
import {
  openRedis,
  QUEUE_NAME,
  type QueueAddress,
  reportQueueProblems,
  requireReachable,
} from "./queue-connection.js";
import { queueJobId } from "./queued-instance.js";

/** A finished job stays in Redis this long (its coordinator collects it at once), seconds. */
const KEEP_FINISHED_SECONDS = 24 * 3600;
/** Tries of a job whose worker fails it outright before the coordinator reports the error. */
const JOB_TRIES = 3;

/** Hands one command's instances to the queue's workers (`validate --queue`, `eval --queue`) and waits for each. */
export interface QueueTasks<Data, Outcome> {
  /** This command's id (`validate-…`): each command does its instances afresh, so it is new each time. */
  id: string;
  /**
   * What a worker handed back for `instance`; undefined when `signal` stopped the wait (the job is
   * taken off the queue if no worker holds it yet). Throws the workers' reason when every try failed.
   */
  submit: (instance: Instance, data: Data, signal: AbortSignal) => Promise<Outcome | undefined>;
  /** Stops listening and closes the connections. */
  close: () => Promise<void>;
}

interface Waiter<Outcome> {
  resolve: (outcome: Outcome | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * Connects to the queue (a one-line error when Redis cannot be reached) for one command whose
 * instances become `jobName` jobs, their ids made from a new `<jobName>-<time>-<random>` id and the instance.
 */
export async function createQueueTasks<Data, Outcome>(
  address: QueueAddress,
  jobName: string,
): Promise<QueueTasks<Data, Outcome>> {
  await requireReachable(address);
  // BullMQ leaves connections it was given open on close: they are closed here, after it.
  const connections = [openRedis(address), openRedis(address)] as const;
  // Names spelled out: with a generic Data, BullMQ cannot tell that the job name is a plain string.
  const queue = new Queue<Data, Outcome, string, Data, Outcome, string>(QUEUE_NAME, {
    connection: connections[0],
  });
  const events = new QueueEvents(QUEUE_NAME, { connection: connections[1] });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  reportQueueProblems(queue, events);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const id = `${jobName}-${stamp}-${randomBytes(3).toString("hex")}`;
  const waiters = new Map<string, Waiter<Outcome>>();
  // Called on every sign that a job may have ended: settles its waiter once, whichever sign came first.
  const settle = async (jobId: string) => {
    if (!waiters.has(jobId)) return;
    const job = await Job.fromId<Data, Outcome>(queue, jobId);
    const state = await job?.getState();
    const waiter = waiters.get(jobId);
    if (!job || !waiter || (state !== "completed" && state !== "failed")) return;
    waiters.delete(jobId);
    if (state === "completed") waiter.resolve(job.returnvalue);
    else waiter.reject(new Error(`the queue's workers could not do it: ${job.failedReason}`));
  };
  const settleQuietly = (jobId: string) =>
    settle(jobId).catch((error: Error) => {
      const waiter = waiters.get(jobId);
      waiters.delete(jobId);
      waiter?.reject(new Error(`could not collect it from the queue: ${error.message}`));
    });
  events.on("completed", ({ jobId }) => void settleQuietly(jobId));
  events.on("failed", ({ jobId }) => void settleQuietly(jobId));
  return {
    id,
    submit: (instance, data, signal) =>
      new Promise((resolve, reject) => {
        const jobId = queueJobId(id, instance.instance_id);
        waiters.set(jobId, { resolve, reject });
        signal.addEventListener(
          "abort",
          () => {
            if (!waiters.delete(jobId)) return;
            resolve(undefined);
            // A job no worker holds yet is taken back; one in a worker's hands finishes unrecorded.
            queue.remove(jobId).catch(() => undefined);
          },
          { once: true },
        );
        queue
          .add(jobName, data, {
            jobId,
            attempts: JOB_TRIES,
            backoff: { type: "fixed", delay: 5_000 },
            removeOnComplete: { age: KEEP_FINISHED_SECONDS },
            removeOnFail: { age: KEEP_FINISHED_SECONDS },
          })
          .then(() => settleQuietly(jobId))
          .catch((error: Error) => {
            if (!waiters.delete(jobId)) return;
            reject(new Error(`could not enqueue it: ${error.message}`));
          });
      }),
    close: async () => {
      await events.close();
      await queue.close();
      for (const connection of connections) connection.disconnect();
    },
  };
}
