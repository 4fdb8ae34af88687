import type { Dataset } from "../dataset/load-dataset.js";
import { UserError } from "../errors.js";
import { createQueueProcessor, type QueueProcessor } from "../queue/create-queue-processor.js";
import { createQueueTasks, type QueueTasks } from "../queue/create-queue-tasks.js";
import { parseQueueAddress } from "../queue/queue-connection.js";
import type { Store } from "../store/open-store.js";
import type { RunRecord } from "../store/records.js";
import { nonNegativeInteger, positiveInteger } from "./backend-options.js";
import type { RunOptions } from "./commands/run.js";

/** What `run --queue` prints once Ctrl-C stops the coordinator. */
export const QUEUED_INTERRUPT =
  "No instance is enqueued any more; the workers finish what they took and their results wait in Redis for a resume with the same --queue.";

/**
 * With `--queue URL`: connects (a one-line error when Redis cannot be reached) and returns what
 * hands each instance to the workers; without it, undefined (the run is local).
 */
export async function openRunQueue(
  options: RunOptions,
  modelSpec: string,
  dataset: Dataset,
  store: Store,
): Promise<QueueProcessor | undefined> {
  if (options.queue === undefined) {
    if (options.rpm !== undefined)
      throw new UserError("--rpm spaces model calls across a queue's workers", {
        where: `--rpm=${options.rpm}`,
        hint: "add --queue redis://…, or drop --rpm (a local run's calls are limited by --workers)",
      });
    return undefined;
  }
  const address = parseQueueAddress(options.queue);
  if (dataset.source !== "demo" && modelSpec.startsWith("replay:"))
    process.stderr.write(
      `swegate: warning: ${modelSpec} is read on each worker: the file must be at that path there\n`,
    );
  const health = store.listHealth().filter((record) => record.red_verdict === "env_broken");
  return createQueueProcessor(
    address,
    {
      model: modelSpec,
      ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
      ...(options.maxRetries === undefined
        ? {}
        : { maxRetries: nonNegativeInteger(options.maxRetries, "--max-retries") }),
      ...(options.rpm === undefined ? {} : { rpm: positiveInteger(options.rpm, "--rpm") }),
      infraRetries: nonNegativeInteger(options.infraRetries, "--infra-retries"),
      datasetSource: dataset.source,
    },
    (instanceId) => health.filter((record) => record.instance_id === instanceId),
  );
}

/**
 * `validate --queue` and `eval --queue`: with a URL, connects (a one-line error when Redis cannot be
 * reached) and returns what hands each instance to the workers as a `jobName` job; without it,
 * undefined (the command runs locally).
 */
export async function openQueueTasks<Data, Outcome>(
  queue: string | undefined,
  jobName: string,
): Promise<QueueTasks<Data, Outcome> | undefined> {
  return queue === undefined ? undefined : createQueueTasks<Data, Outcome>(parseQueueAddress(queue), jobName);
}

/** The `--queue` flag shared by the commands that can spread their instances over workers. */
export const QUEUE_FLAG_HELP =
  "hand the instances to `swegate worker` processes through BullMQ on this Redis (redis://HOST:PORT/DB); results come back to this store";

/** The `--rpm` flag's help. */
export const RPM_FLAG_HELP =
  "with --queue: at most this many model calls a minute across every worker (a provider's quota shared by the fleet)";

/** What a queued run records with its settings: the queue it was spread over (its password left out). */
export function queuedRunConfig(options: Pick<RunOptions, "queue">): { queue?: string } {
  return options.queue === undefined ? {} : { queue: parseQueueAddress(options.queue).shown };
}

/**
 * A run started with `--queue` is finished with `--queue`: its workers may still hold its instances
 * and their results wait in Redis, so running the rest here would do them twice. `--takeover` runs
 * what is missing here anyway (the queue is gone for good).
 */
export function refuseUnqueuedResume(
  run: RunRecord | undefined,
  options: Pick<RunOptions, "queue" | "takeover" | "resume" | "runId">,
  /** A ramp's rerun: the ramp, named where the error says it is (a ramp has no --takeover to offer). */
  ramp?: string,
): void {
  const queue = run?.config.queue;
  if (!run || typeof queue !== "string" || options.queue !== undefined || options.takeover) return;
  throw new UserError(
    `run ${run.run_id} was spread over the queue ${queue}: its workers may still hold its instances`,
    {
      where: ramp
        ? `ramp ${ramp}`
        : options.resume
          ? `--resume=${options.resume}`
          : `--run-id=${options.runId}`,
      hint: `add --queue ${queue} to collect their results and enqueue what is missing${ramp ? "" : " (--takeover runs the rest here if that queue is gone)"}`,
    },
  );
}
