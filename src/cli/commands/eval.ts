import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import PQueue from "p-queue";
import type { Instance } from "../../dataset/instance.js";
import type { Dataset } from "../../dataset/load-dataset.js";
import { modelFolderName, type Prediction, readPredictions } from "../../dataset/read-predictions.js";
import { quoteName, requireSafeName, unsafeNameProblem } from "../../dataset/safe-name.js";
import { UserError } from "../../errors.js";
import type { Backend, EnvironmentDescription } from "../../exec/backend.js";
import { withSignal } from "../../exec/with-signal.js";
import { classifyInfrastructureFailure } from "../../grading/env-broken-reasons.js";
import type { QueueTasks } from "../../queue/create-queue-tasks.js";
import {
  EVAL_FILE,
  EVAL_JOB,
  type QueuedEvaluation,
  type QueuedEvaluationOutcome,
} from "../../queue/queued-instance.js";
import { evaluatePrediction } from "../../run/evaluate-prediction.js";
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
import { printJson, printLine } from "../output.js";
import { openQueueTasks, QUEUE_FLAG_HELP } from "../queue-options.js";

/** `logs/run_evaluation/<run_id>/<model>/<instance_id>`, the harness's per-instance folder. */
function instanceDir(outputDir: string, runId: string, prediction: Prediction): string {
  const model = modelFolderName(prediction.model_name_or_path);
  // The run id, the predictions file and the dataset are each checked where they are read; this is the
  // last guard before a name from data becomes a folder, so a failure here is a bug.
  for (const name of [runId, model, prediction.instance_id]) {
    const problem = unsafeNameProblem(name);
    if (problem !== undefined)
      throw new Error(`unsafe name reached the eval layout: ${quoteName(name)} ${problem}`);
  }
  return join(outputDir, "logs", "run_evaluation", runId, model, prediction.instance_id);
}

/**
 * Evaluates one prediction on a queue's worker and writes the files it hands back into the
 * prediction's folder, as a local evaluation would have; a job every worker failed is an error of
 * the harness's kind (no report.json, the reason in run_instance.log). Stopped by `signal`: nothing written.
 */
async function evaluateOnQueue(
  tasks: QueueTasks<QueuedEvaluation, QueuedEvaluationOutcome>,
  data: QueuedEvaluation,
  dir: string,
  signal: AbortSignal,
): Promise<void> {
  let files: QueuedEvaluationOutcome["files"];
  try {
    const outcome = await tasks.submit(data.instance, data, signal);
    if (!outcome) return;
    files = outcome.files.filter((file) => EVAL_FILE.test(file.name));
  } catch (error) {
    files = [
      { name: "patch.diff", text: data.prediction.model_patch ?? "" },
      {
        name: "run_instance.log",
        text: `Evaluating ${data.instance.instance_id} (${data.prediction.model_name_or_path})\nError in evaluating ${data.instance.instance_id}: ${(error as Error).message}\n`,
      },
    ];
  }
  mkdirSync(dir, { recursive: true });
  for (const file of files) writeFileSync(join(dir, file.name), file.text);
}

/** True when an earlier report.json says the instance's tests never ran (or cannot be read). */
function testsNeverRanIn(file: string, instance: Instance): boolean {
  try {
    return JSON.parse(readFileSync(file, "utf8"))[instance.instance_id]?.swegate?.env_broken !== undefined;
  } catch {
    return true;
  }
}

/** Where the tests ran, by backend and environment: the spec's Python, the one used, and how many instances. */
type EnvironmentTally = Record<
  string,
  { python_version: string; spec_python: string | null; instances: number }
>;

function tallyEnvironment(
  environments: EnvironmentTally,
  environment: { backend: string; name?: string; python_version: string; spec_python: string | null },
): void {
  const key = `${environment.backend} ${environment.name ?? ""}`.trim();
  const seen = environments[key];
  environments[key] = {
    python_version: seen?.python_version ?? environment.python_version,
    spec_python: seen?.spec_python ?? environment.spec_python,
    instances: (seen?.instances ?? 0) + 1,
  };
}

/** The harness's infrastructure-failure classes of the unresolved and errored predictions, from their logs. */
function findInfrastructureFailures(ids: string[], dirOf: (id: string) => string) {
  const infrastructure = {
    environment: [] as string[],
    ambiguous: [] as string[],
    reasons: {} as Record<string, string>,
  };
  for (const id of ids) {
    const dir = dirOf(id);
    const logs = ["test_output.txt", "run_instance.log"].map((name) =>
      existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : "",
    );
    const found = classifyInfrastructureFailure(logs.join("\n"));
    if (!found) continue;
    infrastructure.reasons[id] = found.reason;
    infrastructure[found.tier].push(id);
  }
  return infrastructure;
}

/** The harness's `make_run_report` summary, read back from the per-instance folders on disk. */
function summarize(
  predictions: Map<string, Prediction>,
  selected: Instance[],
  outputDir: string,
  runId: string,
) {
  const ids = {
    completed: [] as string[],
    incomplete: [] as string[],
    empty: [] as string[],
    resolved: [] as string[],
    unresolved: [] as string[],
    error: [] as string[],
    suspicious: [] as string[],
    refused: [] as string[],
  };
  const envBroken: Record<string, string> = {};
  const environments: EnvironmentTally = {};
  for (const { instance_id: id } of selected) {
    const prediction = predictions.get(id);
    if (!prediction) ids.incomplete.push(id);
    else if (!prediction.model_patch) ids.empty.push(id);
    else if (!existsSync(join(instanceDir(outputDir, runId, prediction), "report.json"))) ids.error.push(id);
    else {
      ids.completed.push(id);
      try {
        const report = JSON.parse(
          readFileSync(join(instanceDir(outputDir, runId, prediction), "report.json"), "utf8"),
        );
        const own = report[id].swegate;
        if (own?.environment) tallyEnvironment(environments, own.environment);
        if (own?.env_broken) {
          // The tests never ran: no verdict on the patch, an error like the harness's own.
          envBroken[id] = own.env_broken.reason;
          ids.completed.pop();
          ids.error.push(id);
          continue;
        }
        (report[id].resolved ? ids.resolved : ids.unresolved).push(id);
        if (own?.suspicious) ids.suspicious.push(id);
        if (report[id].swegate?.refused) ids.refused.push(id);
      } catch {
        ids.error.push(id);
      }
    }
  }
  const infrastructure = findInfrastructureFailures([...ids.unresolved, ...ids.error], (id) =>
    instanceDir(outputDir, runId, predictions.get(id) as Prediction),
  );
  const sorted = (list: string[]) => [...list].sort();
  return {
    total_instances: selected.length,
    submitted_instances: predictions.size,
    completed_instances: ids.completed.length,
    resolved_instances: ids.resolved.length,
    unresolved_instances: ids.unresolved.length,
    infra_failure_instances: infrastructure.environment.length,
    ambiguous_failure_instances: infrastructure.ambiguous.length,
    empty_patch_instances: ids.empty.length,
    error_instances: ids.error.length,
    completed_ids: sorted(ids.completed),
    incomplete_ids: sorted(ids.incomplete),
    empty_patch_ids: sorted(ids.empty),
    submitted_ids: sorted([...predictions.keys()]),
    resolved_ids: sorted(ids.resolved),
    unresolved_ids: sorted(ids.unresolved),
    infra_failure_ids: sorted(infrastructure.environment),
    ambiguous_failure_ids: sorted(infrastructure.ambiguous),
    failure_reasons: Object.fromEntries(Object.entries(infrastructure.reasons).sort()),
    error_ids: sorted(ids.error),
    /** swegate's own: unresolved because the evidence does not back the log's passes, or the patch tampers with the test run. */
    suspicious_ids: sorted(ids.suspicious),
    /** swegate's own: unresolved because the patch changes the test machinery (no test ran). */
    refused_ids: sorted(ids.refused),
    /** swegate's own: errors because the tests never ran (import/collection error, interpreter crash), with the env_broken reason. */
    env_broken_reasons: Object.fromEntries(Object.entries(envBroken).sort()),
    /** swegate's own: where the tests ran (backend and environment), with the spec's Python and the one used. */
    environments,
    schema_version: 2,
  };
}

/**
 * The predictions to evaluate: the file's, or the gold patches of the selected instances. Like the
 * harness, a prediction for an instance the dataset lacks is an error, not a skip.
 */
function predictionsFor(source: string, dataset: Dataset, instances: Instance[]): Prediction[] {
  const list =
    source === "gold"
      ? instances.map((instance) => ({
          instance_id: instance.instance_id,
          model_name_or_path: "gold",
          model_patch: instance.patch,
        }))
      : readPredictions(source);
  if (list.length === 0) throw new UserError("no predictions", { where: `--predictions=${source}` });
  const known = new Set(dataset.instances.map((instance) => instance.instance_id));
  const unknown = list.filter((prediction) => !known.has(prediction.instance_id));
  if (unknown.length > 0)
    throw new UserError(
      `${unknown.length} prediction(s) name instances not in the dataset: ${unknown
        .slice(0, 3)
        .map((item) => item.instance_id)
        .join(", ")}`,
      { where: `--predictions=${source}`, hint: "pass the dataset these predictions were made for" },
    );
  return list;
}

export function registerEvalCommand(program: Command): void {
  const command = program
    .command("eval [dataset]")
    .description("evaluate a SWE-bench predictions file and write the harness's log layout and summary")
    .requiredOption(
      "--predictions <file>",
      "JSONL, JSON list or dict of {instance_id, model_name_or_path, model_patch}; `gold` for the gold patches",
    )
    .option("--run-id <id>", "evaluation run id", "swegate")
    .option("--output-dir <dir>", "where logs/ and the summary go", ".")
    .option("--json", "print the summary as JSON")
    .option("--queue <url>", QUEUE_FLAG_HELP);
  addBackendOptions(addDatasetOptions(command)).action(
    async (
      datasetArgument: string | undefined,
      options: BackendOptions &
        DatasetOptions & {
          predictions: string;
          runId: string;
          outputDir: string;
          json?: boolean;
          queue?: string;
        },
    ) => {
      // The run id names a folder of the layout and the summary file: refuse it before any work.
      requireSafeName(options.runId, "run id", `--run-id=${options.runId}`);
      const { dataset, instances } = await resolveInstances(datasetArgument, options);
      const list = predictionsFor(options.predictions, dataset, instances);
      const predictions = new Map(list.map((prediction) => [prediction.instance_id, prediction]));
      const timeoutSeconds = positiveInteger(options.timeout, "--timeout");
      const workers = positiveInteger(options.workers, "--workers");
      const tasks = await openQueueTasks<QueuedEvaluation, QueuedEvaluationOutcome>(options.queue, EVAL_JOB);
      const interrupt = interruptOnSignals(
        tasks
          ? "No prediction is evaluated any more: those no worker has taken leave the queue; what the workers hold now gets no report.json, so the same command evaluates them again."
          : "No prediction starts any more; the ones in flight are stopped and get no report.json, so the same command evaluates them again.",
      );
      const { signal } = interrupt;
      const backendFor = withSignal(createBackendResolver(options), signal);
      // A backend's environment does not change during the command: ask once (it starts an interpreter).
      const descriptions = new WeakMap<Backend, Promise<EnvironmentDescription>>();
      const describe = (backend: Backend, cwd: string) => {
        const known = descriptions.get(backend) ?? backend.describe({ cwd });
        descriptions.set(backend, known);
        return known;
      };
      let repoCache: RepoCache | undefined;
      const cache = () => {
        repoCache ??= createCacheFromOptions(options, dataset);
        return repoCache;
      };
      // Queued, every prediction is enqueued at once: the workers' own --workers set the pace.
      const queue = new PQueue({ concurrency: tasks ? Math.max(1, instances.length) : workers });
      signal.addEventListener("abort", () => queue.clear(), { once: true });
      for (const instance of instances) {
        const prediction = predictions.get(instance.instance_id);
        if (!prediction?.model_patch) continue;
        const dir = instanceDir(options.outputDir, options.runId, prediction);
        // Already evaluated in this run id: the harness skips it too, so an interrupted eval resumes.
        // Tests that never ran are an error, which the harness evaluates again: so does swegate.
        if (existsSync(join(dir, "report.json")) && !testsNeverRanIn(join(dir, "report.json"), instance))
          continue;
        queue.add(() =>
          tasks
            ? evaluateOnQueue(
                tasks,
                { runId: tasks.id, instance, prediction, datasetSource: dataset.source, timeoutSeconds },
                dir,
                signal,
              )
            : evaluatePrediction({
                instance,
                prediction,
                dir,
                cache: cache(),
                backendFor,
                describe,
                timeoutSeconds,
                signal,
              }),
        );
      }
      await queue.onIdle();
      await tasks?.close();
      interrupt.dispose();
      if (signal.aborted) {
        process.stderr.write(
          "eval interrupted: no summary written; run the same command again to finish (evaluated predictions are skipped)\n",
        );
        process.exitCode = interrupt.exitCode() ?? 130;
        return;
      }
      const summary = summarize(predictions, instances, options.outputDir, options.runId);
      const model = modelFolderName((list[0] as Prediction).model_name_or_path);
      mkdirSync(options.outputDir, { recursive: true });
      const summaryFile = join(options.outputDir, `${model}.${options.runId}.json`);
      writeFileSync(summaryFile, JSON.stringify(summary, null, 4));
      const reasons = Object.values(summary.env_broken_reasons);
      // An environment that could not be had evaluated nothing: the command did not do its job.
      if (reasons.includes("environment_unavailable")) process.exitCode = 1;
      if (options.json) return printJson({ summary_file: summaryFile, ...summary });
      const broken = [...new Set(reasons)].map(
        (reason) => `${reasons.filter((other) => other === reason).length} ${reason}`,
      );
      printLine(
        `resolved ${summary.resolved_instances}/${summary.total_instances} · unresolved ${summary.unresolved_instances} · empty ${summary.empty_patch_instances} · errors ${summary.error_instances}${broken.length > 0 ? ` (env_broken, tests never ran: ${broken.join(", ")})` : ""} · suspicious ${summary.suspicious_ids.length} · refused ${summary.refused_ids.length} · not submitted ${summary.incomplete_ids.length}`,
      );
      for (const [where, seen] of Object.entries(summary.environments))
        printLine(
          `  ${String(seen.instances).padStart(5)}  ${where}, ${seen.python_version}${seen.spec_python ? ` (spec ${seen.spec_python})` : ""}`,
        );
      printLine(`summary: ${summaryFile}`);
    },
  );
}
