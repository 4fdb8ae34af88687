import type { Command } from "commander";
import type { Instance } from "../../dataset/instance.js";
import type { Dataset } from "../../dataset/load-dataset.js";
import { UserError } from "../../errors.js";
import type { QueueProcessor } from "../../queue/create-queue-processor.js";
import { queuedRunModel } from "../../queue/queued-run-model.js";
import {
  judgePhase,
  loadRampPlan,
  type RampPhase,
  type RampPlan,
  selectPhaseInstances,
} from "../../run/ramp-plan.js";
import type { BatchOptions } from "../../run/run-batch.js";
import { openStore, type Store } from "../../store/open-store.js";
import type { RunRecord } from "../../store/records.js";
import { addBackendOptions, nonNegativeInteger, positiveInteger } from "../backend-options.js";
import { settleContextTokens } from "../context-tokens-option.js";
import { resolveInstances } from "../dataset-options.js";
import { printJsonLine, printLine } from "../output.js";
import { createProgressReporter } from "../progress/create-progress-reporter.js";
import {
  openRunQueue,
  QUEUE_FLAG_HELP,
  QUEUED_INTERRUPT,
  queuedRunConfig,
  RPM_FLAG_HELP,
  refuseUnqueuedResume,
} from "../queue-options.js";
import { refusedKeyError } from "../refused-key.js";
import {
  applyRecordedSettings,
  type Contradiction,
  checkDataset,
  checkModel,
  RAMP_SETTINGS,
  recordSettings,
} from "../run-settings.js";
import { addModelOptions, givenFlags, prepareJob, type RunOptions, requireSafeRunId } from "./run.js";
import { runBatchWithProgress } from "./run-batch-with-progress.js";

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
    .option("--queue <url>", QUEUE_FLAG_HELP)
    .option("--rpm <n>", RPM_FLAG_HELP)
    .option("--json", "JSON-line events only");
  addBackendOptions(addModelOptions(command)).action(
    (planFile: string, datasetArgument: string | undefined, flags: RampFlags, command: Command) =>
      rampCommand(planFile, datasetArgument, flags, givenFlags(command)),
  );
}

type RampFlags = RunOptions & { continueOnMiss?: boolean; rampId?: string };

/** What every phase of one ramp shares. */
interface Ramp {
  id: string;
  store: Store;
  dataset: Dataset;
  options: RampFlags;
  mode: "oracle" | "blind";
  modelSpec: string;
  /** Instances the health registry calls healthy: phases may ask for those only. */
  healthy: Set<string>;
  job: BatchOptions["job"];
  /** With --queue: hands each instance to the queue's workers. */
  queue: QueueProcessor | undefined;
  /** Prints one line for people, or the event as a JSON line under --json. */
  say: (event: Record<string, unknown>, text: string) => void;
}

/** The ramp command: the ramp's settings, dataset and model, then each phase while targets are met. */
async function rampCommand(
  planFile: string,
  datasetArgument: string | undefined,
  flags: RampFlags,
  given: (option: string) => boolean,
): Promise<void> {
  const plan = loadRampPlan(planFile);
  const rampId = rampIdFor(plan, flags, planFile);
  const store = openStore(flags.store);
  // A ramp is what its first phase was started with: later phases and reruns keep those settings.
  const started = plan.phases
    .map((phase) => store.getRun(`${rampId}-${phase.name}`))
    .find((run) => run !== undefined);
  const against = started && {
    run: started,
    hint: "drop the flag to finish the ramp as started, or choose another --ramp-id",
  };
  const { options, unrecorded } = settleRampOptions(plan, flags, given, against);
  // Every phase of a queued ramp is queued: its workers may still hold a started phase's instances.
  for (const phase of plan.phases)
    refuseUnqueuedResume(store.getRun(`${rampId}-${phase.name}`), options, rampId);
  const datasetSource = datasetArgument ?? plan.dataset;
  const { dataset } = await resolveInstances(datasetSource ?? started?.dataset_source, {});
  if (against) checkDataset(dataset, datasetSource !== undefined, against);
  const modelSpec = chooseRampModel(started, options, dataset);
  options.contextTokens = settleContextTokens(options.contextTokens, modelSpec, unrecorded);
  // A ramp started before swegate ran the code goes on without it.
  if (unrecorded.includes("reproduce") && !given("reproduce")) options.reproduce = false;
  const mode = rampMode(options);
  if (unrecorded.length > 0)
    process.stderr.write(
      `swegate: ramp ${rampId} was recorded before swegate kept ${unrecorded.join(", ")}: those come from the flags given, else the defaults\n`,
    );
  const healthy = healthyInstanceIds(store);
  const queue = await openRunQueue(options, modelSpec, dataset, store);
  // Queued, the workers call the model with their own keys: this process needs none.
  const job = prepareJob(
    { ...options, mode },
    dataset,
    modelSpec,
    mode,
    queue ? queuedRunModel(modelSpec) : undefined,
  );
  const say = (event: Record<string, unknown>, text: string) =>
    options.json ? printJsonLine(event) : printLine(text);
  const ramp: Ramp = { id: rampId, store, dataset, options, mode, modelSpec, healthy, job, queue, say };
  const used = new Set<string>();
  try {
    for (const [index, phase] of plan.phases.entries()) {
      const ended = await runPhase(ramp, phase, used);
      if (ended === "interrupted") return;
      if (ended === "missed" && !options.continueOnMiss) {
        stopOnMiss(ramp, phase, plan.phases[index + 1]);
        return;
      }
    }
  } finally {
    await queue?.close();
  }
  say({ type: "ramp-end", ramp: rampId }, `ramp ${rampId}: every phase met its target`);
  store.close();
}

/** The ramp's id (--ramp-id, else the plan's name): each phase's run id made from it must be a plain name. */
function rampIdFor(plan: RampPlan, flags: RampFlags, planFile: string): string {
  const rampId = flags.rampId ?? plan.name ?? "ramp";
  // Phase runs are named <ramp>-<phase>: each must be a plain name, as a --run-id must.
  for (const phase of plan.phases)
    requireSafeRunId(`${rampId}-${phase.name}`, flags.rampId ? `--ramp-id=${flags.rampId}` : planFile);
  return rampId;
}

/**
 * The options the ramp goes by: the flags, the plan's model and mode where no flag gives them, and
 * a started ramp's recorded settings in their place (a contradicting flag or plan line is refused).
 */
function settleRampOptions(
  plan: RampPlan,
  flags: RampFlags,
  given: (option: string) => boolean,
  against: Contradiction | undefined,
): { options: RampFlags; unrecorded: string[] } {
  const fromPlan = { ...flags, model: flags.model ?? plan.model, mode: flags.mode ?? plan.mode };
  // What the plan names counts as given too: changing the plan's model or mode is a contradiction.
  const isGiven = (option: string) => given(option) || (option === "mode" && plan.mode !== undefined);
  if (against) checkModel(fromPlan.model, against);
  return against
    ? applyRecordedSettings(fromPlan, isGiven, RAMP_SETTINGS, against)
    : { options: fromPlan, unrecorded: [] };
}

/** The model: the started ramp's, else --model or the plan's, else the demo model on the demo. */
function chooseRampModel(started: RunRecord | undefined, options: RampFlags, dataset: Dataset): string {
  const modelSpec = started?.model ?? options.model ?? (dataset.source === "demo" ? "demo" : undefined);
  if (!modelSpec)
    throw new UserError("no model given", {
      where: "--model",
      hint: "give --model or a model: line in the plan",
    });
  return modelSpec;
}

/** The feedback mode (oracle unless the flags or the plan say otherwise). */
function rampMode(options: RampFlags): "oracle" | "blind" {
  const mode = (options.mode ?? "oracle") as "oracle" | "blind";
  if (mode !== "oracle" && mode !== "blind")
    throw new UserError("must be oracle or blind", { where: `--mode=${mode}` });
  return mode;
}

/** Instances whose environment the health registry calls healthy. */
function healthyInstanceIds(store: Store): Set<string> {
  return new Set(
    store
      .listHealth()
      .filter((row) => row.healthy)
      .map((row) => row.instance_id),
  );
}

/**
 * Runs one phase as the run `<ramp>-<phase>` and says whether it met its target. An interrupted
 * phase closes the store and sets the exit code; a refused key closes it and throws.
 */
async function runPhase(
  ramp: Ramp,
  phase: RampPhase,
  used: Set<string>,
): Promise<"met" | "missed" | "interrupted"> {
  const { store, options, say } = ramp;
  const runId = `${ramp.id}-${phase.name}`;
  const instances = phaseInstances(ramp, phase, runId, used);
  const reporter = createProgressReporter({
    json: options.json === true,
    total: instances.length,
    tty: process.stdout.isTTY === true,
    queued: ramp.queue !== undefined,
  });
  const { queue } = ramp;
  const { run, refusedKey, signalExitCode } = await runBatchWithProgress(
    reporter,
    {
      runId,
      dataset: ramp.dataset,
      instances,
      store,
      // Queued, the whole phase is enqueued at once: the workers' own --workers set the pace, and
      // they retry an instance that hit an infrastructure error, where it happened.
      workers: queue ? Math.max(1, instances.length) : positiveInteger(options.workers, "--workers"),
      infraRetries: queue ? 0 : nonNegativeInteger(options.infraRetries, "--infra-retries"),
      config: {
        ramp: ramp.id,
        phase: phase.name,
        target: phase.target,
        ...recordSettings({ ...options, mode: ramp.mode }, RAMP_SETTINGS),
        ...queuedRunConfig(options),
      },
      job: ramp.job,
      ...(queue ? { processInstance: queue.processInstance } : {}),
    },
    queue ? QUEUED_INTERRUPT : undefined,
  );
  if (refusedKey) {
    store.close();
    throw refusedKeyError(ramp.modelSpec, refusedKey, "the same swegate ramp command");
  }
  if (run.status === "interrupted") {
    say(
      { type: "ramp-interrupted", phase: phase.name, run_id: runId },
      `ramp interrupted in phase ${phase.name}: run the same command again to finish it (finished instances are kept)`,
    );
    store.close();
    process.exitCode = signalExitCode ?? 130;
    return "interrupted";
  }
  const results = store.getInstanceResults(runId);
  const attempted = results.filter(
    (result) => result.status === "verified" || result.status === "failed",
  ).length;
  const verdict = judgePhase(phase, results.filter((result) => result.verified).length, attempted);
  say({ type: "phase-end", phase: phase.name, run_id: runId, ...verdict }, verdict.message);
  return verdict.met ? "met" : "missed";
}

/**
 * A phase's instances: those its run already has (a rerun finishes the same ones), else new ones
 * no earlier phase used. Says so when fewer are left than the phase's size.
 */
function phaseInstances(ramp: Ramp, phase: RampPhase, runId: string, used: Set<string>): Instance[] {
  const earlier = ramp.store.getRun(runId);
  const instances = earlier
    ? earlier.selection.flatMap((id) =>
        ramp.dataset.instances.filter((instance) => instance.instance_id === id),
      )
    : selectPhaseInstances(ramp.dataset.instances, phase, used, ramp.healthy);
  for (const instance of instances) used.add(instance.instance_id);
  if (instances.length < phase.size) {
    ramp.say(
      { type: "phase-note", phase: phase.name, available: instances.length },
      `phase ${phase.name}: only ${instances.length} of ${phase.size} instances left to pick`,
    );
  }
  return instances;
}

/** Ends the ramp on a phase that missed its target (without --continue-on-miss): exit code 4. */
function stopOnMiss(ramp: Ramp, phase: RampPhase, next: RampPhase | undefined): void {
  ramp.say(
    { type: "ramp-stopped", phase: phase.name, next: next?.name ?? null },
    next
      ? `ramp stopped: ${next.name} does not start because ${phase.name} missed its target (use --continue-on-miss to go on)`
      : "ramp ended on a miss",
  );
  ramp.store.close();
  process.exitCode = 4;
}
