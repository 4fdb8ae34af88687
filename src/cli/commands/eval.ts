import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import PQueue from "p-queue";
import { UserError } from "../../errors.js";
import { buildHarnessReport, HARNESS_MARKERS } from "../../grading/build-harness-report.js";
import { runGreenGate } from "../../grading/green-gate.js";
import { createWorkspace } from "../../workspace/create-workspace.js";
import {
  addBackendOptions,
  type BackendOptions,
  createBackendFromOptions,
  createCacheFromOptions,
  positiveInteger,
} from "../backend-options.js";
import { addDatasetOptions, type DatasetOptions, resolveInstances } from "../dataset-options.js";
import { printJson, printLine } from "../output.js";

interface Prediction {
  instance_id: string;
  model_name_or_path: string;
  model_patch: string | null;
}

/** Reads predictions as JSONL, a JSON list, or a JSON dict keyed by instance id. */
function readPredictions(file: string): Prediction[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError("cannot read predictions", { where: `--predictions=${file}` });
  }
  const check = (row: unknown, where: string): Prediction => {
    const value = row as Partial<Prediction>;
    if (!value || typeof value.instance_id !== "string")
      throw new UserError("prediction without instance_id", { where });
    return {
      instance_id: value.instance_id,
      model_name_or_path: String(value.model_name_or_path ?? "unknown"),
      model_patch: value.model_patch ?? null,
    };
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith("["))
    return (JSON.parse(text) as unknown[]).map((row, index) => check(row, `${file}: item ${index + 1}`));
  if (trimmed.startsWith("{") && !trimmed.includes("\n{")) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (typeof parsed.instance_id !== "string")
      return Object.entries(parsed).map(([id, row]) =>
        check({ instance_id: id, ...(row as object) }, `${file}: ${id}`),
      );
  }
  return text
    .split("\n")
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => line.trim())
    .map(({ line, index }) => {
      try {
        return check(JSON.parse(line), `${file}:${index + 1}`);
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw new UserError("line is not valid JSON", { where: `${file}:${index + 1}` });
      }
    });
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
    .option("--json", "print the summary as JSON");
  addBackendOptions(addDatasetOptions(command)).action(
    async (
      datasetArgument: string | undefined,
      options: BackendOptions &
        DatasetOptions & { predictions: string; runId: string; outputDir: string; json?: boolean },
    ) => {
      const { dataset, instances } = await resolveInstances(datasetArgument, options);
      const byId = new Map(instances.map((instance) => [instance.instance_id, instance]));
      const predictions =
        options.predictions === "gold"
          ? instances.map((instance) => ({
              instance_id: instance.instance_id,
              model_name_or_path: "gold",
              model_patch: instance.patch,
            }))
          : readPredictions(options.predictions).filter((prediction) => byId.has(prediction.instance_id));
      const backend = createBackendFromOptions(options);
      const cache = createCacheFromOptions(options, dataset);
      const timeoutSeconds = positiveInteger(options.timeout, "--timeout");
      const queue = new PQueue({ concurrency: positiveInteger(options.workers, "--workers") });
      const outcome = {
        completed: [] as string[],
        resolved: [] as string[],
        unresolved: [] as string[],
        empty: [] as string[],
        error: [] as string[],
      };
      const model = (predictions[0]?.model_name_or_path ?? "unknown").replaceAll("/", "__");
      for (const prediction of predictions) {
        queue.add(async () => {
          const instance = byId.get(prediction.instance_id);
          if (!instance) return;
          if (!prediction.model_patch?.trim()) {
            outcome.empty.push(instance.instance_id);
            return;
          }
          const dir = join(
            options.outputDir,
            "logs",
            "run_evaluation",
            options.runId,
            model,
            instance.instance_id,
          );
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, "patch.diff"), prediction.model_patch);
          try {
            const workspace = await createWorkspace(cache, {
              repo: instance.repo,
              baseCommit: instance.base_commit,
            });
            try {
              const green = await runGreenGate({
                instance,
                dir: workspace.dir,
                patch: prediction.model_patch,
                backend,
                timeoutSeconds,
              });
              // The same layout and markers as the harness, so the official tools can read it back.
              const log = green.patch_applied_by
                ? `${HARNESS_MARKERS.appliedPrediction}\n${HARNESS_MARKERS.start}\n${green.log}\n${HARNESS_MARKERS.end}\n${HARNESS_MARKERS.exitCode}: ${green.exit_code ?? -1}\n`
                : `>>>>> Patch Apply Failed: ${green.problem}\n`;
              writeFileSync(join(dir, "test_output.txt"), log);
              const report = buildHarnessReport({ instance, log, patch: prediction.model_patch });
              writeFileSync(join(dir, "report.json"), `${JSON.stringify(report, null, 4)}\n`);
              outcome.completed.push(instance.instance_id);
              (report[instance.instance_id]?.resolved ? outcome.resolved : outcome.unresolved).push(
                instance.instance_id,
              );
            } finally {
              await workspace.dispose();
            }
          } catch (error) {
            outcome.error.push(instance.instance_id);
            writeFileSync(join(dir, "run_instance.log"), String((error as Error).stack ?? error));
          }
        });
      }
      await queue.onIdle();
      const sorted = (ids: string[]) => [...ids].sort();
      const summary = {
        total_instances: instances.length,
        submitted_instances: predictions.length,
        completed_instances: outcome.completed.length,
        resolved_instances: outcome.resolved.length,
        unresolved_instances: outcome.unresolved.length,
        empty_patch_instances: outcome.empty.length,
        error_instances: outcome.error.length,
        completed_ids: sorted(outcome.completed),
        incomplete_ids: sorted(
          instances
            .map((instance) => instance.instance_id)
            .filter(
              (id) =>
                !outcome.completed.includes(id) && !outcome.empty.includes(id) && !outcome.error.includes(id),
            ),
        ),
        empty_patch_ids: sorted(outcome.empty),
        submitted_ids: sorted(predictions.map((prediction) => prediction.instance_id)),
        resolved_ids: sorted(outcome.resolved),
        unresolved_ids: sorted(outcome.unresolved),
        error_ids: sorted(outcome.error),
        schema_version: 2,
      };
      const summaryFile = join(options.outputDir, `${model}.${options.runId}.json`);
      writeFileSync(summaryFile, `${JSON.stringify(summary, null, 4)}\n`);
      if (options.json) return printJson({ summary_file: summaryFile, ...summary });
      printLine(
        `resolved ${summary.resolved_instances}/${summary.submitted_instances} · empty ${summary.empty_patch_instances} · errors ${summary.error_instances}`,
      );
      printLine(`summary: ${summaryFile}`);
    },
  );
}
