import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { artifactPaths, openStore } from "../../store/open-store.js";
import { ranOn } from "../../store/ran-on.js";
import type { InstanceResult } from "../../store/records.js";
import { effectiveRunStatus } from "../../store/run-owner.js";
import { DEFAULT_STORE } from "../backend-options.js";
import { printJson, printLine } from "../output.js";
import { requireRun } from "../require-run.js";
import { resumeCommand } from "./run.js";

export function registerRunsCommands(program: Command): void {
  program
    .command("runs")
    .description("list runs in the store")
    .option("--store <dir>", "results database", DEFAULT_STORE)
    .option("--json", "print JSON only")
    .action((options: { store: string; json?: boolean }) => {
      const store = openStore(options.store);
      const runs = store.listRuns().map((run) => {
        const results = store.getInstanceResults(run.run_id);
        return {
          ...run,
          status: effectiveRunStatus(run),
          finished: results.length,
          verified: results.filter((result) => result.verified).length,
        };
      });
      store.close();
      if (options.json) return printJson(runs);
      for (const run of runs) {
        printLine(
          `${run.run_id}  ${run.status.padEnd(15)} ${run.model} (${run.mode})  ${run.verified}/${run.finished} verified of ${run.selection.length}  ${run.dataset_source}`,
        );
      }
    });

  program
    .command("show <run> [instance]")
    .description("a run's summary, or one instance's attempts with feedback and diffs")
    .option("--store <dir>", "results database", DEFAULT_STORE)
    .option("--json", "print JSON only")
    .action((runId: string, instanceId: string | undefined, options: { store: string; json?: boolean }) => {
      const store = openStore(options.store);
      const run = requireRun(store, runId);
      const results = store
        .getInstanceResults(runId)
        .filter((result) => !instanceId || result.instance_id === instanceId);
      if (instanceId && results.length === 0)
        throw new UserError(`run ${runId} has no result for ${instanceId}`);
      const attempts = instanceId ? store.getAttempts(runId, instanceId) : [];
      store.close();
      if (options.json) return printJson(instanceId ? { ...results[0], attempts } : results);
      if (!instanceId) {
        printLine(
          `run ${run.run_id} · ${effectiveRunStatus(run)} · model ${run.model} · feedback ${run.mode} · dataset ${run.dataset_source}`,
        );
        for (const result of results)
          printLine(
            `  ${result.status.padEnd(11)} ${result.instance_id}  attempts ${result.attempts_made}  ${result.reason ?? ""}${onMachine(result)}`,
          );
        if (effectiveRunStatus(run) === "interrupted")
          printLine(
            `${results.length} of ${run.selection.length} instances have a result; finish it with: ${resumeCommand(run.run_id, options.store)}`,
          );
        return;
      }
      const result = results[0];
      if (!result) return;
      printLine(`${result.instance_id}: ${result.status}${onMachine(result)}`);
      printLine(`red gate: ${result.red_gate_message}`);
      // What running the issue's code showed (the first line of reproduce.log), when it was run.
      const reproduceLog = artifactPaths(store.dir, runId, result.instance_id).reproduceLog;
      if (existsSync(reproduceLog))
        printLine(
          `issue's code: ${readFileSync(reproduceLog, "utf8")
            .split("\n")[0]
            ?.replace(/^ran the issue's code /, "ran ")}`,
        );
      printLine(`green gate: ${result.green_gate_message}`);
      for (const attempt of attempts) {
        printLine(
          `\n── attempt ${attempt.attempt_number}: ${attempt.passed ? "passed" : attempt.failure_class} · ${attempt.check_result}`,
        );
        if (attempt.tool_calls?.length)
          printLine(
            `read first: ${attempt.tool_calls.map((call) => `${call.name} ${JSON.stringify(call.arguments)}`).join(", ")}`,
          );
        if (attempt.apply_result) printLine(attempt.apply_result);
        if (attempt.feedback) printLine(`feedback sent next:\n${attempt.feedback}`);
        if (attempt.patch) printLine(`diff:\n${attempt.patch}`);
      }
    });
}

/** `  (on HOST)` for an instance a queue worker ran, else nothing. */
function onMachine(result: InstanceResult): string {
  const machine = ranOn(result);
  return machine ? `  (on ${machine})` : "";
}
