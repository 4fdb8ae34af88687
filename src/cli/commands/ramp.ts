import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { judgePhase, loadRampPlan, selectPhaseInstances } from "../../run/ramp-plan.js";
import { runBatch } from "../../run/run-batch.js";
import { openStore } from "../../store/open-store.js";
import { addBackendOptions, nonNegativeInteger, positiveInteger } from "../backend-options.js";
import { resolveInstances } from "../dataset-options.js";
import { interruptOnSignals } from "../interrupt-on-signals.js";
import { printJsonLine, printLine } from "../output.js";
import { createProgressReporter } from "../progress/create-progress-reporter.js";
import { refusedKeyError } from "../refused-key.js";
import {
  applyRecordedSettings,
  checkDataset,
  checkModel,
  RAMP_SETTINGS,
  recordSettings,
} from "../run-settings.js";
import { addModelOptions, givenFlags, prepareJob, type RunOptions, requireSafeRunId } from "./run.js";

export function registerRampCommand(program: Command): void {
  const command = program
    .command("ramp <plan> [dataset]")
    .description(
      "run phases of growing size (e.g. 10 → 30 → 100 → 300); each starts only when the last met its target",
    )
    .option("--model <spec>", "model (default: the plan's, or the demo model on the demo)")
    .option("--mode <mode>", "feedback mode (default: the plan's, else oracle)")
    .option("--max-attempts <n>", "attempts per instance", "6")
    .option("--continue-on-miss", "run every phase even when one misses its target")
    .option("--ramp-id <id>", "name of the ramp (phases run as <id>-<phase>; rerun to resume)")
    .option("--json", "JSON-line events only");
  addBackendOptions(addModelOptions(command)).action(
    async (
      planFile: string,
      datasetArgument: string | undefined,
      flags: RunOptions & { continueOnMiss?: boolean; rampId?: string },
      command: Command,
    ) => {
      const plan = loadRampPlan(planFile);
      const rampId = flags.rampId ?? plan.name ?? "ramp";
      // Phase runs are named <ramp>-<phase>: each must be a plain name, as a --run-id must.
      for (const phase of plan.phases)
        requireSafeRunId(`${rampId}-${phase.name}`, flags.rampId ? `--ramp-id=${flags.rampId}` : planFile);
      const store = openStore(flags.store);
      // A ramp is what its first phase was started with: later phases and reruns keep those settings.
      const started = plan.phases
        .map((phase) => store.getRun(`${rampId}-${phase.name}`))
        .find((run) => run !== undefined);
      const against = started && {
        run: started,
        hint: "drop the flag to finish the ramp as started, or choose another --ramp-id",
      };
      const fromPlan = { ...flags, model: flags.model ?? plan.model, mode: flags.mode ?? plan.mode };
      const given = givenFlags(command);
      // What the plan names counts as given too: changing the plan's model or mode is a contradiction.
      const isGiven = (option: string) => given(option) || (option === "mode" && plan.mode !== undefined);
      if (against) checkModel(fromPlan.model, against);
      const { options, unrecorded } = against
        ? applyRecordedSettings(fromPlan, isGiven, RAMP_SETTINGS, against)
        : { options: fromPlan, unrecorded: [] };
      const datasetSource = datasetArgument ?? plan.dataset;
      const { dataset } = await resolveInstances(datasetSource ?? started?.dataset_source, {});
      if (against) checkDataset(dataset, datasetSource !== undefined, against);
      const modelSpec = started?.model ?? options.model ?? (dataset.source === "demo" ? "demo" : undefined);
      if (!modelSpec)
        throw new UserError("no model given", {
          where: "--model",
          hint: "give --model or a model: line in the plan",
        });
      const mode = (options.mode ?? "oracle") as "oracle" | "blind";
      if (mode !== "oracle" && mode !== "blind")
        throw new UserError("must be oracle or blind", { where: `--mode=${mode}` });
      if (unrecorded.length > 0)
        process.stderr.write(
          `swegate: ramp ${rampId} was recorded before swegate kept ${unrecorded.join(", ")}: those come from the flags given, else the defaults\n`,
        );
      const healthy = new Set(
        store
          .listHealth()
          .filter((row) => row.healthy)
          .map((row) => row.instance_id),
      );
      const job = prepareJob({ ...options, mode }, dataset, modelSpec, mode);
      const used = new Set<string>();
      const say = (event: Record<string, unknown>, text: string) =>
        options.json ? printJsonLine(event) : printLine(text);
      for (const [index, phase] of plan.phases.entries()) {
        const runId = `${rampId}-${phase.name}`;
        const earlier = store.getRun(runId);
        const instances = earlier
          ? earlier.selection.flatMap((id) =>
              dataset.instances.filter((instance) => instance.instance_id === id),
            )
          : selectPhaseInstances(dataset.instances, phase, used, healthy);
        for (const instance of instances) used.add(instance.instance_id);
        if (instances.length < phase.size) {
          say(
            { type: "phase-note", phase: phase.name, available: instances.length },
            `phase ${phase.name}: only ${instances.length} of ${phase.size} instances left to pick`,
          );
        }
        const reporter = createProgressReporter({
          json: options.json === true,
          total: instances.length,
          tty: process.stdout.isTTY === true,
        });
        const interrupt = interruptOnSignals();
        const { run, refusedKey } = await runBatch({
          runId,
          dataset,
          instances,
          store,
          workers: positiveInteger(options.workers, "--workers"),
          infraRetries: nonNegativeInteger(options.infraRetries, "--infra-retries"),
          config: {
            ramp: rampId,
            phase: phase.name,
            target: phase.target,
            ...recordSettings({ ...options, mode }, RAMP_SETTINGS),
          },
          job,
          onEvent: reporter.onEvent,
          signal: interrupt.signal,
        }).finally(() => interrupt.dispose());
        reporter.stop();
        if (refusedKey) {
          store.close();
          throw refusedKeyError(modelSpec, refusedKey, "the same swegate ramp command");
        }
        if (run.status === "interrupted") {
          say(
            { type: "ramp-interrupted", phase: phase.name, run_id: runId },
            `ramp interrupted in phase ${phase.name}: run the same command again to finish it (finished instances are kept)`,
          );
          store.close();
          process.exitCode = interrupt.exitCode() ?? 130;
          return;
        }
        const results = store.getInstanceResults(runId);
        const attempted = results.filter(
          (result) => result.status === "verified" || result.status === "failed",
        ).length;
        const verdict = judgePhase(phase, results.filter((result) => result.verified).length, attempted);
        say({ type: "phase-end", phase: phase.name, run_id: runId, ...verdict }, verdict.message);
        if (!verdict.met && !options.continueOnMiss) {
          const next = plan.phases[index + 1];
          say(
            { type: "ramp-stopped", phase: phase.name, next: next?.name ?? null },
            next
              ? `ramp stopped: ${next.name} does not start because ${phase.name} missed its target (use --continue-on-miss to go on)`
              : "ramp ended on a miss",
          );
          store.close();
          process.exitCode = 4;
          return;
        }
      }
      say({ type: "ramp-end", ramp: rampId }, `ramp ${rampId}: every phase met its target`);
      store.close();
    },
  );
}
