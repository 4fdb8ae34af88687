import { Queue } from "bullmq";
import { openRedis, QUEUE_NAME, type QueueAddress } from "./queue-connection.js";
import type { QueuedInstance } from "./queued-instance.js";

/** One live `swegate worker` process as the queue sees it. */
export interface WorkerView {
  /** `host-pid` of the process. */
  name: string;
  /** Its address as Redis sees the connection. */
  address: string;
  /** Seconds since it connected. */
  connected_seconds: number;
  /** The instances it holds now. */
  jobs: HeldInstance[];
}

/** An instance a worker is running. */
export interface HeldInstance {
  /** The run it belongs to. */
  run_id: string;
  /** The instance. */
  instance_id: string;
  /** Its last step the worker reported (`red gate`, `attempt 2`, …). */
  step: string;
  /** ISO time the worker took it. */
  started_at: string | null;
}

/** The queue's live workers with what each is doing, and the queue's job counts. */
export async function listWorkers(
  address: QueueAddress,
): Promise<{ workers: WorkerView[]; unassigned: HeldInstance[]; counts: Record<string, number> }> {
  const connection = openRedis(address);
  const queue = new Queue<QueuedInstance>(QUEUE_NAME, { connection });
  try {
    const [clients, active, counts] = await Promise.all([
      queue.getWorkers(),
      queue.getActive(),
      queue.getJobCounts("waiting", "active", "delayed", "completed", "failed"),
    ]);
    const held = active.map((job) => ({
      by: job.processedBy,
      instance: {
        run_id: job.data.runId,
        instance_id: job.data.instance.instance_id,
        step: describeStep(job.progress),
        started_at: job.processedOn ? new Date(job.processedOn).toISOString() : null,
      },
    }));
    const workers = clients.map((client) => {
      // BullMQ names a worker's connection `<prefix>:<queue in base64>:w:<worker name>`.
      const name = (client.rawname ?? client.name ?? "").split(":w:").at(-1) ?? "";
      return {
        name,
        address: client.addr ?? "",
        connected_seconds: Number(client.age ?? 0),
        jobs: held.filter((entry) => entry.by === name).map((entry) => entry.instance),
      };
    });
    const names = new Set(workers.map((worker) => worker.name));
    // Held by a worker that is gone: the stalled check hands these on once their lock runs out.
    const unassigned = held
      .filter((entry) => !entry.by || !names.has(entry.by))
      .map((entry) => entry.instance);
    return { workers, unassigned, counts };
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** The step a worker's last progress event names. */
function describeStep(progress: unknown): string {
  const event = (typeof progress === "object" && progress !== null ? progress : {}) as Record<
    string,
    unknown
  >;
  if (event.type === "gate-start") return `${event.gate} gate`;
  if (event.type === "gate-end") return `${event.gate} gate done`;
  if (event.type === "attempt-start") return `attempt ${event.attemptNumber}`;
  return "starting";
}
