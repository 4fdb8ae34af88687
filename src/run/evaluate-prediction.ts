import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Instance } from "../dataset/instance.js";
import type { Prediction } from "../dataset/read-predictions.js";
import type { Backend, EnvironmentDescription } from "../exec/backend.js";
import {
  buildHarnessReport,
  HARNESS_MARKERS,
  type HarnessReportEntry,
} from "../grading/build-harness-report.js";
import { runGreenGate } from "../grading/green-gate.js";
import { type TestsNeverRan, testsNeverRan } from "../grading/tests-never-ran.js";
import type { RepoCache } from "../workspace/repo-cache.js";
import { withWorkspace } from "../workspace/with-workspace.js";

/** report.json's `swegate` object: the grading's findings plus where the tests ran and whether they did. */
export type SwegateFields = NonNullable<HarnessReportEntry["swegate"]> & {
  /** Backend, environment name, the Python used and the spec's (the harness image's). */
  environment?: { backend: string; name: string | null; python_version: string; spec_python: string | null };
  /** The tests never ran, so this is no verdict on the patch (the summary counts it as an error). */
  env_broken?: TestsNeverRan;
};

/**
 * Evaluates one prediction as the harness's `run_instance` does: patch.diff, then the green gate
 * (candidate, test_patch files reset, test_patch, tests); test_output.txt carries the harness's
 * markers and exit code so any harness-compatible grader reads it back. A patch that does not apply,
 * a timeout or a crash writes no report.json: the harness counts those instances as errors.
 */
export async function evaluatePrediction(options: {
  instance: Instance;
  prediction: Prediction;
  dir: string;
  cache: RepoCache;
  backendFor: (instance: Instance) => Backend;
  describe: (backend: Backend, cwd: string) => Promise<EnvironmentDescription>;
  timeoutSeconds: number;
  signal: AbortSignal;
}): Promise<void> {
  const { instance, dir } = options;
  const patch = options.prediction.model_patch ?? "";
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "patch.diff"), patch);
  const notes: string[] = [`Evaluating ${instance.instance_id} (${options.prediction.model_name_or_path})`];
  try {
    await withWorkspace(
      options.cache,
      { repo: instance.repo, baseCommit: instance.base_commit },
      async (workspace) => {
        const backend = options.backendFor(instance);
        const described = await options.describe(backend, workspace.dir);
        // swegate's own: where the tests ran, beside the Python the harness's image has.
        const environment = {
          backend: described.backend,
          name: described.details?.root ?? null,
          python_version: described.pythonVersion,
          spec_python: described.details?.spec_python ?? null,
        };
        notes.push(
          `Environment (swegate): ${environment.backend} ${environment.name ?? ""} ${environment.python_version}; the harness's image has Python ${environment.spec_python ?? "unknown"}`,
        );
        const green = await runGreenGate({
          instance,
          dir: workspace.dir,
          patch,
          backend,
          timeoutSeconds: options.timeoutSeconds,
        });
        // Cut short by Ctrl-C: no report.json, so the same command evaluates it again.
        if (options.signal.aborted) {
          notes.push("Interrupted: not evaluated.");
          return;
        }
        if (!green.patch_applied_by) {
          notes.push(`>>>>> Patch Apply Failed: ${green.problem}`);
          return;
        }
        notes.push(`>>>>> Applied Patch (pred) with ${green.patch_applied_by}`);
        if (green.refused.length > 0) {
          // No test ran: the harness would have run them, swegate does not grade such a patch.
          notes.push(
            `>>>>> Refused (swegate): the patch changes the test machinery: ${green.refused.join("; ")}`,
          );
          const report = {
            [instance.instance_id]: {
              patch_is_None: false,
              patch_exists: true,
              patch_successfully_applied: true,
              resolved: false,
              swegate: { refused: green.refused, environment },
            },
          };
          writeFileSync(join(dir, "report.json"), JSON.stringify(report, null, 4));
          return;
        }
        const { start, end, exitCode } = HARNESS_MARKERS;
        let output = `${HARNESS_MARKERS.appliedPrediction}\n${start}\n${green.log}\n${end}\n${exitCode}: ${green.exit_code ?? -1}\n`;
        if (green.timed_out) {
          output += `\n\nTimeout error: ${options.timeoutSeconds} seconds exceeded.`;
          writeFileSync(join(dir, "test_output.txt"), output);
          notes.push(`Test timed out after ${options.timeoutSeconds} seconds.`);
          return;
        }
        writeFileSync(join(dir, "test_output.txt"), output);
        const report = buildHarnessReport({ instance, log: output, patch });
        const entry = report[instance.instance_id] as
          | (HarnessReportEntry & { swegate?: SwegateFields })
          | undefined;
        if (entry) entry.swegate = { environment };
        if (entry && green.suspicious.length > 0) {
          // The harness's fields stay as its rules give them, except that a suspicious pass is no pass.
          notes.push(`>>>>> Suspicious (swegate): ${green.suspicious.join("; ")}`);
          entry.swegate = { ...entry.swegate, suspicious: green.suspicious, log_resolved: entry.resolved };
          entry.resolved = false;
        }
        // Tests that never ran judge the environment, not the patch: the harness's fields stay as
        // it would write them, and swegate's summary counts the prediction as an error.
        const neverRan = testsNeverRan({ instance, patch, log: green.log, tests: green.tests });
        if (entry && neverRan) {
          notes.push(`>>>>> Environment broken (swegate): ${neverRan.reason}: ${neverRan.evidence[0] ?? ""}`);
          entry.swegate = { ...entry.swegate, env_broken: neverRan };
        }
        writeFileSync(join(dir, "report.json"), JSON.stringify(report, null, 4));
        notes.push(`Result for ${instance.instance_id}: resolved: ${report[instance.instance_id]?.resolved}`);
      },
    );
  } catch (error) {
    notes.push(`Error in evaluating ${instance.instance_id}: ${(error as Error).stack ?? String(error)}`);
  } finally {
    writeFileSync(join(dir, "run_instance.log"), `${notes.join("\n")}\n`);
  }
}
