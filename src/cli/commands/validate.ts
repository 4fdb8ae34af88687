import type { Command } from "commander";
import PQueue from "p-queue";
import { environmentLabel } from "../../environments/spec-python.js";
import { UserError } from "../../errors.js";
import { withSignal } from "../../exec/with-signal.js";
import { type QueuedHealth, type QueuedValidation, VALIDATE_JOB } from "../../queue/queued-instance.js";
import { validateInstance } from "../../run/validate-instance.js";
import { openStore } from "../../store/open-store.js";
import type { HealthRecord } from "../../store/records.js";
import type { RepoCache } from "../../workspace/repo-cache.js";
import {
  addBackendOptions,
  type BackendOptions,
  createBackendResolver,
  createCacheFromOptions,
  positiveInteger,
} from "../backend-options.js";
import { addDatasetOptions, type DatasetOptions, resolveInstances } from "../dataset-options.js";
import { interruptOnSignals } from "../interrupt-on-signals.js";
import { printJsonLine, printLine } from "../output.js";
import { openQueueTasks, QUEUE_FLAG_HELP } from "../queue-options.js";

export function registerValidateCommand(program: Command): void {
  const command = program
    .command("validate [dataset]")
    .description("health check: red gate, then green gate with the gold patch; writes the health registry")
    .option("--json", "one JSON line per instance")
    .option("--queue <url>", QUEUE_FLAG_HELP);
  addBackendOptions(addDatasetOptions(command)).action(
    async (
      datasetArgument: string | undefined,
      options: BackendOptions & DatasetOptions & { json?: boolean; queue?: string },
    ) => {
      const { dataset, instances } = await resolveInstances(datasetArgument, options);
      const timeoutSeconds = positiveInteger(options.timeout, "--timeout");
      const workers = positiveInteger(options.workers, "--workers");
      const validator = await openQueueTasks<QueuedValidation, QueuedHealth>(options.queue, VALIDATE_JOB);
      const interrupt = interruptOnSignals(
        validator
          ? "No instance is validated any more: those no worker has taken leave the queue; what the workers hold now is not recorded in the health registry."
          : "No instance starts any more; the ones in flight are stopped and not recorded in the health registry.",
      );
      const { signal } = interrupt;
      const backendFor = withSignal(createBackendResolver(options), signal);
      let repoCache: RepoCache | undefined;
      const cache = () => {
        repoCache ??= createCacheFromOptions(options, dataset);
        return repoCache;
      };
      const store = openStore(options.store);
      // Queued, every instance is enqueued at once: the workers' own --workers set the pace.
      const queue = new PQueue({ concurrency: validator ? Math.max(1, instances.length) : workers });
      const rows: (HealthRecord & { red_message: string; green_message: string })[] = [];
      let fatal: unknown;
      const failures: string[] = [];
      let interrupted = 0;
      signal.addEventListener("abort", () => queue.clear(), { once: true });
      for (const instance of instances) {
        const task = queue.add(async () => {
          if (signal.aborted) return;
          const validation = validator
            ? (
                await validator.submit(
                  instance,
                  { runId: validator.id, instance, datasetSource: dataset.source, timeoutSeconds },
                  signal,
                )
              )?.validation
            : await validateInstance({
                instance,
                backend: backendFor(instance),
                cache: cache(),
                timeoutSeconds,
                signal,
              });
          // A gate cut short by Ctrl-C is no verdict: recording it would mark a healthy instance broken.
          if (!validation || signal.aborted) {
            interrupted++;
            if (!options.json) printLine(`interrupted ${instance.instance_id}: not recorded`);
            return;
          }
          const { record } = validation;
          const red = { message: validation.red_message, warnings: validation.red_warnings };
          const green = validation.green_message === null ? undefined : { message: validation.green_message };
          const { environment } = record;
          store.putHealth(record);
          rows.push({ ...record, red_message: red.message, green_message: green?.message ?? "" });
          if (options.json) {
            printJsonLine({
              instance_id: record.instance_id,
              healthy: record.healthy,
              red: {
                verdict: record.red_verdict,
                reason: record.red_reason,
                evidence: record.red_evidence,
                warnings: red.warnings,
              },
              green: { resolved: record.green_resolved, message: green?.message ?? null },
              environment: {
                backend: environment.backend,
                name: environment.details?.root ?? null,
                python_version: environment.pythonVersion,
                spec_python: environment.details?.spec_python ?? null,
              },
              duration_ms: record.duration_ms,
            });
          } else {
            printLine(
              `${record.healthy ? "healthy  " : "unhealthy"} ${instance.instance_id}: ${red.message}${green ? ` · gold: ${green.message}` : ""}`,
            );
          }
        });
        task.catch((error: unknown) => {
          // A usage or environment problem (no such interpreter, no engine) holds for every instance:
          // stop starting new ones and report it once. Anything else is this instance's infrastructure.
          if (error instanceof UserError) {
            fatal ??= error;
            queue.clear();
            return;
          }
          const message = error instanceof Error ? error.message : String(error);
          failures.push(instance.instance_id);
          if (options.json)
            printJsonLine({ instance_id: instance.instance_id, healthy: null, error: message });
          else printLine(`error     ${instance.instance_id}: ${message} (not recorded; rerun to retry)`);
        });
      }
      await queue.onIdle();
      await validator?.close();
      interrupt.dispose();
      store.close();
      if (fatal) throw fatal;
      if (signal.aborted) {
        process.stderr.write(
          `validate interrupted: ${rows.length} instance(s) checked and recorded, ${interrupted} stopped unrecorded; run validate again to finish (it checks every selected instance again)\n`,
        );
        process.exitCode = interrupt.exitCode() ?? 130;
        return;
      }
      // An environment that could not be had judged nothing: its instances are recorded, but the
      // command did not do what was asked of it.
      const unavailable = rows.filter((row) => row.red_reason === "environment_unavailable");
      if (failures.length > 0 || unavailable.length > 0) process.exitCode = 1;
      if (options.json) return;
      const table = new Map<string, number>();
      for (const row of rows) {
        const key = row.healthy
          ? "healthy"
          : row.red_verdict === "reproduced"
            ? "gold patch fails (green gate)"
            : `${row.red_verdict}${row.red_reason ? ` (${row.red_reason})` : ""}`;
        table.set(key, (table.get(key) ?? 0) + 1);
      }
      printLine("");
      printLine(`${rows.filter((row) => row.healthy).length}/${rows.length} healthy`);
      if (failures.length > 0)
        printLine(
          `  ${String(failures.length).padStart(5)}  could not be checked (swegate or machine error, see above)`,
        );
      for (const [key, count] of [...table.entries()].sort((left, right) => right[1] - left[1]))
        printLine(`  ${String(count).padStart(5)}  ${key}`);
      // Which environment each verdict is for: a verdict from one interpreter says nothing of another.
      const byEnvironment = new Map<string, { healthy: number; total: number }>();
      for (const row of rows) {
        const label = environmentLabel(row.environment);
        const counts = byEnvironment.get(label) ?? { healthy: 0, total: 0 };
        counts.total++;
        if (row.healthy) counts.healthy++;
        byEnvironment.set(label, counts);
      }
      printLine("by environment:");
      for (const [label, counts] of byEnvironment)
        printLine(`  ${String(counts.total).padStart(5)}  ${label}: ${counts.healthy} healthy`);
      for (const [environment, reason] of new Map(
        unavailable.map((row) => [
          row.environment.details?.root ?? "",
          row.environment.details?.unavailable ?? "",
        ]),
      ))
        printLine(`environment ${environment} could not be had (its instances are env_broken): ${reason}`);
    },
  );
}
