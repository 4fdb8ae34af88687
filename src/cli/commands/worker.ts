import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { EnvironmentError, UserError } from "../../errors.js";
import { createModel } from "../../model/create-model.js";
import { loadPriceTable } from "../../model/price-table.js";
import { limitFleetRate } from "../../queue/fleet-rate-limit.js";
import { openRedis, parseQueueAddress, requireReachable } from "../../queue/queue-connection.js";
import { startQueueWorker, workerName } from "../../queue/run-queue-worker.js";
import { openStore } from "../../store/open-store.js";
import type { RepoCache } from "../../workspace/repo-cache.js";
import {
  addBackendOptions,
  type BackendOptions,
  createBackendResolver,
  createCacheFromOptions,
  positiveInteger,
} from "../backend-options.js";
import { interruptOnSignals } from "../interrupt-on-signals.js";
import { packageVersion } from "../package-version.js";

interface WorkerOptions extends BackendOptions {
  queue: string;
  prices?: string;
  lockSeconds: string;
}

export function registerWorkerCommand(program: Command): void {
  const command = program
    .command("worker")
    .description(
      "run the instances of `swegate run --queue` runs on this machine: takes jobs off the queue, runs each as `run` does, hands back results and logs (needs the model's API key, not the signing key); also the instances of `validate --queue` and the predictions of `eval --queue`",
    )
    .requiredOption("--queue <url>", "the Redis the runs enqueue on (redis://HOST:PORT/DB)")
    .option("--prices <file>", "extra model prices (JSON, USD per million tokens)")
    .option(
      "--lock-seconds <n>",
      "an instance stays this worker's this long without a sign of life: a worker killed or cut off loses its instances to the others after about this long",
      "60",
    );
  addBackendOptions(command);
  // The run decides the test timeout and keeps the results; a worker records nowhere of its own.
  for (const option of command.options)
    if (option.long === "--store" || option.long === "--timeout") option.hideHelp();
  command.action((flags: WorkerOptions) => workerCommand(flags));
}

async function workerCommand(flags: WorkerOptions): Promise<void> {
  const address = parseQueueAddress(flags.queue);
  const concurrency = positiveInteger(flags.workers, "--workers");
  const lockSeconds = positiveInteger(flags.lockSeconds, "--lock-seconds");
  const prices = loadPriceTable(flags.prices);
  await requireReachable(address);
  const backendFor = createBackendResolver(flags);
  const caches = new Map<string, RepoCache>();
  const cacheFor = (source: string) => {
    let cache = caches.get(source);
    if (!cache) {
      // Only the dataset's source matters to the cache (the demo's repositories are built here).
      cache = createCacheFromOptions(flags, { source, digest: "", instances: [] });
      caches.set(source, cache);
    }
    return cache;
  };
  const scratchDir = mkdtempSync(join(tmpdir(), "swegate-worker-"));
  const scratch = openStore(scratchDir);
  const interrupt = interruptOnSignals(
    "No instance is taken any more; the ones in flight are stopped and go back on the queue for another worker.",
  );
  const stop = new AbortController();
  const signal = AbortSignal.any([interrupt.signal, stop.signal]);
  const say = (line: string) => process.stdout.write(`${workerName()}: ${line}\n`);
  let refusedKey: string | undefined;
  // BullMQ leaves a connection it was given open on close: it is closed here, after the worker.
  const connection = openRedis(address);
  const worker = startQueueWorker({
    connection,
    concurrency,
    lockMs: lockSeconds * 1000,
    scratch,
    modelFor: (job) => {
      try {
        const model = createModel(job.model, {
          baseUrl: job.baseUrl,
          prices,
          maxRetries: job.maxRetries,
          instances: new Map([[job.instance.instance_id, job.instance]]),
        });
        return job.rpm === undefined ? model : limitFleetRate(model, connection, job.rpm);
      } catch (error) {
        // The job fails here and another worker tries it; the coordinator records the last such reason.
        const reason = error instanceof UserError ? error.oneLine() : (error as Error).message;
        say(`cannot run ${job.instance.instance_id}: ${reason}`);
        throw new Error(`worker ${workerName()}: ${reason}`);
      }
    },
    backendFor,
    cacheFor,
    swegateVersion: packageVersion(),
    signal,
    say,
    onRefusedKey: (message) => {
      refusedKey ??= message;
      stop.abort();
    },
  });
  let lastError = "";
  worker.on("error", (error) => {
    // ioredis reconnects by itself (a Redis restart); say so once per distinct problem.
    if (error.message === lastError) return;
    lastError = error.message;
    process.stderr.write(`swegate: worker: ${error.message}\n`);
  });
  try {
    await worker.waitUntilReady();
    say(`waiting for instances on ${address.shown} (${concurrency} at a time)`);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    await worker.close();
  } finally {
    connection.disconnect();
    interrupt.dispose();
    scratch.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
  if (refusedKey)
    throw new EnvironmentError(`the provider refused this machine's API key: ${refusedKey}`, {
      where: `worker ${workerName()}`,
      hint: "set a valid key in this machine's environment and start the worker again; its instance went back on the queue",
    });
  process.exitCode = interrupt.exitCode() ?? 0;
}
