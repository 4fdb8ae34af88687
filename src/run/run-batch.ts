import { randomBytes } from "node:crypto";
import PQueue from "p-queue";
import type { Instance } from "../dataset/instance.js";
import type { Dataset } from "../dataset/load-dataset.js";
import { UserError } from "../errors.js";
import type { Backend } from "../exec/backend.js";
import { withSignal } from "../exec/with-signal.js";
import { createCostBudget } from "../model/create-cost-budget.js";
import type { Model } from "../model/model.js";
import type { RetryFailure } from "../model/with-retries.js";
import type { Store } from "../store/open-store.js";
import type { InstanceResult, RunRecord } from "../store/records.js";
import { currentOwner, ownerAlive } from "../store/run-owner.js";
import { releaseHeldWorkspaces } from "../workspace/create-workspace.js";
import { type InstanceJob, processInstance, type RunEvent } from "./process-instance.js";

/** A readable, sortable run id. */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `run-${stamp}-${randomBytes(2).toString("hex")}`;
}

export interface BatchOptions {
  runId: string;
  dataset: Dataset;
  instances: Instance[];
  store: Store;
  workers: number;
  /** Stop starting instances once the run's cost reaches this (USD). */
  maxCostUsd?: number;
  /** Retries for instances that ended in infra_error. */
  infraRetries: number;
  /** Options recorded with the run. */
  config: Record<string, unknown>;
  /** Run it even when the store says another process runs it (one on another machine that is gone). */
  takeover?: boolean;
  /**
   * Aborting it interrupts the run: no instance starts any more, the test runs and model calls in
   * flight are stopped, and their instances are left without a result, to be redone by a resume.
   */
  signal?: AbortSignal;
  /** Everything an instance needs except the instance and run id; the backend may be chosen per instance (interpreter per repo@version). */
  job: Omit<InstanceJob, "instance" | "runId" | "store" | "onEvent" | "backend"> & {
    backend: Backend | ((instance: Instance) => Backend);
  };
  /**
   * Runs one instance and records it (default `processInstance`, here in this process); a queued
   * run passes one that hands the instance to a worker and records what comes back.
   */
  processInstance?: (job: InstanceJob) => Promise<InstanceResult | undefined>;
  onEvent?: (
    event:
      | RunEvent
      | { type: "run-start"; run: RunRecord; pending: number }
      | { type: "run-end"; run: RunRecord; results: InstanceResult[] }
      | { type: "instance-abandoned"; instanceId: string },
  ) => void;
}

/** How a batch ended. */
export interface BatchOutcome {
  /** The run as the store has it at the end. */
  run: RunRecord;
  /** The provider's refusal of the API key that stopped the run (then marked `failed`), if one did. */
  refusedKey?: RetryFailure & { kind: "auth" };
}

/**
 * Runs (or resumes) a run: instances already finished in the store are skipped; an instance that
 * was in flight when the process died has no result yet and is redone from scratch. Each result is
 * committed as soon as its instance ends, so a kill loses nothing that finished.
 * A key the provider refuses stops the whole run at once, as an interrupt does: every other
 * instance would be refused the same way, and recording them as infrastructure errors would leave
 * a "completed" run with nothing in it. The run is marked `failed`; its resume redoes the rest.
 */
export async function runBatch(options: BatchOptions): Promise<BatchOutcome> {
  const { store } = options;
  const now = new Date().toISOString();
  const me = currentOwner();
  if (!store.getRun(options.runId))
    store.createRun({
      run_id: options.runId,
      created_at: now,
      updated_at: now,
      status: "running",
      model: options.job.model.id,
      mode: options.job.mode,
      dataset_source: options.dataset.source,
      dataset_digest: options.dataset.digest,
      selection: options.instances.map((instance) => instance.instance_id),
      config: options.config,
      swegate_version: options.job.swegateVersion,
      owner: me,
    });
  // One process per run: two would do the same instances twice.
  const busy = store.claimRun(options.runId, me, (current) => {
    if (current.host === me.host && current.pid === me.pid) return false;
    return options.takeover !== true && ownerAlive(current) !== false;
  });
  if (busy)
    throw new UserError(`run ${options.runId} is being run by process ${busy.pid} on ${busy.host}`, {
      where: options.runId,
      hint:
        busy.host === me.host
          ? "wait for it to end, or stop it (Ctrl-C) and resume"
          : "if that process is gone, resume with --takeover",
    });
  const run = store.getRun(options.runId) as RunRecord;
  const finished = store.finishedInstanceIds(run.run_id);
  const pending = options.instances.filter((instance) => !finished.has(instance.instance_id));
  options.onEvent?.({ type: "run-start", run, pending: pending.length });
  // What finished before a resume counts against the budget too.
  const budget = createCostBudget(options.maxCostUsd);
  for (const result of store.getInstanceResults(run.run_id)) budget.spend(result.cost_usd);
  let budgetHit = false;
  let refusedKey: BatchOutcome["refusedKey"];
  // Aborted on a refused key: processInstance drops the instances in flight just as for an interrupt.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const model = watchForRefusedKey(options.job.model, (failure) => {
    refusedKey ??= failure;
    stop.abort();
  });
  const queue = new PQueue({ concurrency: Math.max(1, options.workers) });
  const stopQueue = () => queue.clear();
  signal.addEventListener("abort", stopQueue, { once: true });
  const backendFor = withSignal(options.job.backend, signal);
  for (const instance of pending) {
    queue.add(async () => {
      if (signal.aborted) return;
      if (budget.exceeded()) {
        budgetHit = true;
        return;
      }
      let result: InstanceResult | undefined;
      const backend = backendFor(instance);
      for (let attempt = 0; attempt <= options.infraRetries; attempt++) {
        result = await (options.processInstance ?? processInstance)({
          ...options.job,
          model,
          backend,
          instance,
          runId: run.run_id,
          store,
          onEvent: options.onEvent,
          signal,
        });
        if (result?.status !== "infra_error" || result.reason === "refused") break;
      }
      if (result) budget.spend(result.cost_usd);
      else options.onEvent?.({ type: "instance-abandoned", instanceId: instance.instance_id });
    });
  }
  await queue.onIdle();
  signal.removeEventListener("abort", stopQueue);
  // Checkouts held between instances go to the shared pool for the next run.
  await releaseHeldWorkspaces();
  store.updateRunStatus(
    run.run_id,
    refusedKey ? "failed" : signal.aborted ? "interrupted" : budgetHit ? "budget_exceeded" : "completed",
  );
  const ended = store.getRun(run.run_id) as RunRecord;
  options.onEvent?.({ type: "run-end", run: ended, results: store.getInstanceResults(run.run_id) });
  return refusedKey ? { run: ended, refusedKey } : { run: ended };
}

/** The model, telling `onRefused` of a refused key before the caller sees the answer (so its instance is dropped). */
function watchForRefusedKey(
  model: Model,
  onRefused: (failure: RetryFailure & { kind: "auth" }) => void,
): Model {
  return {
    id: model.id,
    ...(model.label === undefined ? {} : { label: model.label }),
    scripted: model.scripted,
    complete: async (request) => {
      const response = await model.complete(request);
      if (!response.ok && response.kind === "auth") onRefused({ ...response, kind: "auth" });
      return response;
    },
  };
}
