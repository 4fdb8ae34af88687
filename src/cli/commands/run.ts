import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CONTEXT_TOKEN_BUDGET } from "../../agent/default-context-tokens.js";
import { defaultKeyDir, loadPrivateKey, PRIVATE_KEY_FILE } from "../../certificate/keys.js";
import { isDemoRepository } from "../../dataset/demo/load-demo-dataset.js";
import type { Instance } from "../../dataset/instance.js";
import type { Dataset } from "../../dataset/load-dataset.js";
import { requireSafeName } from "../../dataset/safe-name.js";
import { UserError } from "../../errors.js";
import { createModel } from "../../model/create-model.js";
import type { Model } from "../../model/model.js";
import { loadPriceTable, requirePriceForBudget } from "../../model/price-table.js";
import { queuedRunModel } from "../../queue/queued-run-model.js";
import { healthyHere } from "../../run/healthy-here.js";
import { type BatchOptions, newRunId } from "../../run/run-batch.js";
import { openStore, type Store } from "../../store/open-store.js";
import { type InstanceResult, type RunRecord, reproducedTheBug } from "../../store/records.js";
import {
  addBackendOptions,
  type BackendOptions,
  createBackendResolver,
  createCacheFromOptions,
  DEFAULT_STORE,
  nonNegativeInteger,
  nonNegativeNumber,
  positiveInteger,
} from "../backend-options.js";
import { CONTEXT_TOKENS_HELP, settleContextTokens } from "../context-tokens-option.js";
import { addDatasetOptions, type DatasetOptions, resolveInstances } from "../dataset-options.js";
import { LOCALIZE_HELP, parseLocalize } from "../localize-option.js";
import { printLine } from "../output.js";
import { packageVersion } from "../package-version.js";
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
  checkSelection,
  RAMP_SETTINGS,
  RUN_SETTINGS,
  recordSettings,
} from "../run-settings.js";
import { runBatchWithProgress } from "./run-batch-with-progress.js";

export interface RunOptions extends BackendOptions, DatasetOptions {
  model?: string;
  mode: string;
  maxAttempts: string;
  healthyOnly?: boolean;
  runId?: string;
  resume?: string;
  takeover?: boolean;
  maxCostUsd?: string;
  tools?: boolean;
  contextTokens?: string;
  localize?: string;
  reproduce?: boolean;
  baseUrl?: string;
  key?: string;
  prices?: string;
  infraRetries: string;
  maxRetries?: string;
  json?: boolean;
  queue?: string;
  rpm?: string;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command("run [dataset]")
    .description(
      "red gate → model edits with feedback → green gate → certificate, for every selected instance (default: the offline demo)",
    )
    .option(
      "--model <spec>",
      "anthropic:MODEL, google:MODEL, openai:MODEL, openai-compatible:MODEL, oracle, demo, replay:FILE",
    )
    .option(
      "--mode <mode>",
      "feedback: oracle (hidden tests fed back; not leaderboard-valid) or blind",
      "oracle",
    )
    .option("--max-attempts <n>", "attempts per instance", "6")
    .option("--healthy-only", "only instances whose gold validation passed (swegate validate)")
    .option("--run-id <id>", "name the run (rerunning with the same id finishes what is missing)")
    .option("--resume <id>", "finish an interrupted run")
    .option(
      "--takeover",
      "resume a run the store says another machine's process is running (when that process is gone)",
    )
    .option("--max-cost-usd <usd>", "stop starting instances once the run has cost this much")
    .option("--queue <url>", QUEUE_FLAG_HELP)
    .option("--rpm <n>", RPM_FLAG_HELP)
    .option("--json", "JSON-line events only");
  addBackendOptions(addDatasetOptions(addModelOptions(command))).action(
    (datasetArgument: string | undefined, flags: RunOptions, command: Command) =>
      runCommand(datasetArgument, flags, givenFlags(command)),
  );
}

/** A run to start or finish: the store, the run's id and what the store already has under it. */
interface RunTarget {
  store: Store;
  runId: string;
  previous: RunRecord | undefined;
  /** Set when the run exists: its recorded settings, dataset and selection win over the flags. */
  against: Contradiction | undefined;
}

/** The run command: its settings, instances and model, then the batch, then what to tell the user. */
async function runCommand(
  datasetArgument: string | undefined,
  flags: RunOptions,
  isGiven: (option: string) => boolean,
): Promise<void> {
  const target = openRunTarget(flags);
  refuseUnqueuedResume(target.previous, flags);
  const { store, runId } = target;
  const { options, unrecorded } = settleOptions(flags, isGiven, target);
  const { dataset, instances } = await chooseInstances(datasetArgument, options, isGiven, target);
  const modelSpec = chooseModel(target.previous, options, dataset);
  options.contextTokens = settleContextTokens(options.contextTokens, modelSpec, unrecorded);
  // A run started before swegate ran the issue's code goes on without it.
  if (unrecorded.includes("reproduce") && !isGiven("reproduce")) options.reproduce = false;
  const json = options.json === true;
  const mode = options.mode as "oracle" | "blind";
  announceRun(runId, unrecorded, modelSpec, json);
  const reporter = createProgressReporter({
    json,
    total: instances.length,
    tty: process.stdout.isTTY === true,
    queued: options.queue !== undefined,
  });
  const queue = await openRunQueue(options, modelSpec, dataset, store);
  // Queued, the workers call the model with their own keys: this process needs none.
  const job = prepareJob(options, dataset, modelSpec, mode, queue ? queuedRunModel(modelSpec) : undefined);
  const { run, refusedKey, signalExitCode } = await runBatchWithProgress(
    reporter,
    {
      runId,
      dataset,
      instances,
      store,
      // Queued, every pending instance is enqueued at once (the workers' own --workers set the pace),
      // unless a budget is kept: then --workers instances at a time, each enqueued only while money is left.
      workers:
        queue && options.maxCostUsd === undefined
          ? Math.max(1, instances.length)
          : positiveInteger(options.workers, "--workers"),
      maxCostUsd: maxCostUsd(options),
      // Queued, the worker retries an instance that hit an infrastructure error, where it happened.
      infraRetries: queue ? 0 : nonNegativeInteger(options.infraRetries, "--infra-retries"),
      config: { ...recordSettings(options, RUN_SETTINGS), ...queuedRunConfig(options) },
      job,
      takeover: options.takeover === true,
      ...(queue ? { processInstance: queue.processInstance } : {}),
    },
    queue ? QUEUED_INTERRUPT : undefined,
  ).finally(() => queue?.close());
  const results = store.getInstanceResults(run.run_id);
  store.close();
  if (refusedKey) throw refusedKeyError(modelSpec, refusedKey, resumeCommand(run.run_id, options.store));
  if (run.status === "interrupted") {
    process.stderr.write(
      `run ${run.run_id} interrupted: ${results.length} of ${instances.length} instances have a result; finish it with: ${resumeCommand(run.run_id, options.store)}${options.queue ? ` --queue ${options.queue}` : ""}\n`,
    );
    process.exitCode = signalExitCode ?? 130;
    return;
  }
  // An environment that could not be had is not a verdict on those instances: the run says so in its exit code.
  const unavailable = results.filter((result) => result.reason === "env_broken: environment_unavailable");
  if (unavailable.length > 0) {
    process.stderr.write(
      `swegate: ${unavailable.length} instance(s) had no environment (env_broken: environment_unavailable); see swegate show ${run.run_id}\n`,
    );
    process.exitCode = 1;
  }
  if (json) return;
  printSummary(
    run.run_id,
    results,
    mode,
    modelSpec,
    !job.signingKey,
    instances.every((instance) => isDemoRepository(instance.repo)),
  );
}

/** Opens the store and finds the run that --resume or --run-id names (a --resume must exist). */
function openRunTarget(flags: RunOptions): RunTarget {
  if (flags.resume) requireSafeRunId(flags.resume, `--resume=${flags.resume}`);
  if (flags.runId) requireSafeRunId(flags.runId, `--run-id=${flags.runId}`);
  const store = openStore(flags.store);
  const runId = flags.resume ?? flags.runId ?? newRunId();
  const previous = store.getRun(runId);
  if (flags.resume && !previous)
    throw new UserError(`no run ${flags.resume}`, {
      where: `--store=${flags.store}`,
      hint: "see swegate runs",
    });
  const against = previous && {
    run: previous,
    hint: flags.resume
      ? "drop the flag to resume as started"
      : "drop the flag to finish the run as started, or choose another --run-id",
  };
  return { store, runId, previous, against };
}

/**
 * The options the run goes by: the flags, with a started run's recorded settings in their place (a
 * flag that contradicts them is refused). Also the settings that run has no record of.
 */
function settleOptions(
  flags: RunOptions,
  isGiven: (option: string) => boolean,
  { previous, against }: RunTarget,
): { options: RunOptions; unrecorded: string[] } {
  if (against) checkModel(flags.model, against);
  // A ramp's phase keeps healthy-only in the plan, not in its recorded settings.
  const recorded = previous?.config.ramp === undefined ? RUN_SETTINGS : RAMP_SETTINGS;
  const settled = against
    ? applyRecordedSettings(flags, isGiven, recorded, against)
    : { options: flags, unrecorded: [] };
  const { mode } = settled.options;
  if (mode !== "oracle" && mode !== "blind")
    throw new UserError("must be oracle or blind", { where: `--mode=${mode}` });
  return settled;
}

/**
 * The dataset and the instances to run: a started run's own selection (a dataset or selection flag
 * that contradicts it is refused), else the selection the flags make, healthy ones only if asked.
 */
async function chooseInstances(
  datasetArgument: string | undefined,
  options: RunOptions,
  isGiven: (option: string) => boolean,
  { store, previous, against }: RunTarget,
): Promise<{ dataset: Dataset; instances: Instance[] }> {
  const { dataset, instances: selected } = await resolveInstances(
    datasetArgument ?? previous?.dataset_source,
    options,
  );
  if (!against) return { dataset, instances: await keepHealthy(selected, options, store) };
  checkDataset(dataset, datasetArgument !== undefined, against);
  checkSelection(
    selected.map((instance) => instance.instance_id),
    givenSelection(options, isGiven),
    options.healthyOnly === true,
    against,
  );
  const instances = against.run.selection
    .map((id) => dataset.instances.find((instance) => instance.instance_id === id))
    .filter((instance) => instance !== undefined);
  return { dataset, instances };
}

/**
 * With --healthy-only, the selected instances the health registry calls healthy in the environment
 * each would run in now (a verdict from Python 3.9 in bullseye says nothing of the host's 3.11);
 * those healthy only elsewhere are named, and none left is an error.
 */
async function keepHealthy(selected: Instance[], options: RunOptions, store: Store): Promise<Instance[]> {
  if (!options.healthyOnly) return selected;
  const { healthy, elsewhere } = await healthyHere({
    rows: store.listHealth(),
    instances: selected,
    backendFor: createBackendResolver(options),
    cwd: tmpdir(),
  });
  for (const { instance, environment } of elsewhere)
    process.stderr.write(
      `swegate: ${instance.instance_id} is healthy only in ${environment}, not where it would run now: left out (validate it here first)\n`,
    );
  if (healthy.length === 0)
    throw new UserError(
      `none of the ${selected.length} selected instances is healthy in the health registry for the environment it would run in`,
      {
        where: `--healthy-only --store=${options.store}`,
        hint: "run swegate validate on them first (with the same backend options), or drop --healthy-only",
      },
    );
  return healthy;
}

/** The model: a started run's, else --model, else the demo model on the demo; priced if a budget is set. */
function chooseModel(previous: RunRecord | undefined, options: RunOptions, dataset: Dataset): string {
  const modelSpec = previous?.model ?? options.model ?? (dataset.source === "demo" ? "demo" : undefined);
  if (!modelSpec)
    throw new UserError("no model given", {
      where: "--model",
      hint: "e.g. --model anthropic:claude-haiku-4-5, or --model oracle to check the pipeline with gold patches",
    });
  requirePriceForBudget(loadPriceTable(options.prices), modelSpec, maxCostUsd(options));
  return modelSpec;
}

/** --max-cost-usd as a number, undefined when not given. */
function maxCostUsd(options: RunOptions): number | undefined {
  return options.maxCostUsd === undefined
    ? undefined
    : nonNegativeNumber(options.maxCostUsd, "--max-cost-usd");
}

/** Says which settings an old run has no record of, and that a scripted model is not a language model. */
function announceRun(runId: string, unrecorded: string[], modelSpec: string, json: boolean): void {
  if (unrecorded.length > 0)
    process.stderr.write(
      `swegate: run ${runId} was recorded before swegate kept ${unrecorded.join(", ")}: those come from the flags given, else the defaults\n`,
    );
  if (!json && (modelSpec === "demo" || modelSpec === "oracle" || modelSpec.startsWith("replay:"))) {
    printLine(
      modelSpec === "demo"
        ? "model: demo — scripted answers, not a language model"
        : `model: ${modelSpec} — scripted, not a language model`,
    );
  }
}

/** Whether the user typed a flag (commander fills in defaults, which must not count as asking). */
export function givenFlags(command: Command): (option: string) => boolean {
  return (option) => {
    const source = command.getOptionValueSource(option);
    return source !== undefined && source !== "default";
  };
}

const SELECTION_FLAGS = [
  ["instances", "--instances"],
  ["instancesFile", "--instances-file"],
  ["repos", "--repos"],
  ["excludeRepos", "--exclude-repos"],
  ["sample", "--sample"],
  ["seed", "--seed"],
] as const;

/** The first selection flag the user typed, with its value. */
function givenSelection(
  options: DatasetOptions,
  isGiven: (option: string) => boolean,
): { flag: string; value: string } | undefined {
  const found = SELECTION_FLAGS.find(([option]) => isGiven(option));
  return found && { flag: found[1], value: String(options[found[0]]) };
}

/** A run id becomes a folder under the store: one plain name, never a path (`where`: the flag=value it came from). */
export function requireSafeRunId(runId: string, where: string): string {
  return requireSafeName(runId, "run id", where, "give a plain name such as my-run-1");
}

function printSummary(
  runId: string,
  results: InstanceResult[],
  mode: string,
  model: string,
  noKey: boolean,
  demo: boolean,
): void {
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const healthy = results.filter((result) => reproducedTheBug(result.status)).length;
  const cost = results.reduce((total, result) => total + (result.cost_usd ?? 0), 0);
  printLine("");
  printLine(
    `run ${runId}: ${count("verified")} verified, ${count("failed")} failed, ${count("suspicious")} suspicious, ${count("env_broken")} env-broken, ${count("infra_error")} infra errors, ${count("skipped")} skipped${count("internal_error") ? `, ${count("internal_error")} swegate bugs (please report: swegate show ${runId})` : ""}`,
  );
  printLine(
    `verified ${count("verified")}/${healthy} of the instances whose environment reproduced the bug · cost $${cost.toFixed(4)} · feedback mode ${mode}`,
  );
  if (mode === "oracle")
    printLine(
      "oracle mode fed the hidden tests back to the model: these numbers are not comparable with the SWE-bench leaderboard.",
    );
  if (noKey && count("verified") > 0)
    printLine("no certificates were signed: create a key with `swegate keys init`.");
  printLine(`details: swegate show ${runId}   ·   report: swegate report ${runId}`);
  if (demo && (model === "demo" || model === "oracle")) {
    printLine(
      "next: run a real model, e.g. ANTHROPIC_API_KEY=… swegate run data.jsonl --model anthropic:claude-haiku-4-5",
    );
  }
}

/** The command that finishes an interrupted run (naming the store unless it is the default). */
export function resumeCommand(runId: string, store: string): string {
  return `swegate run --resume ${runId}${store === DEFAULT_STORE ? "" : ` --store ${store}`}`;
}

/**
 * Model, backend, cache and signing key for a run, from the flags (shared by run and ramp). `model`:
 * the queue's stand-in when workers call the model.
 */
export function prepareJob(
  options: RunOptions,
  dataset: Dataset,
  modelSpec: string,
  mode: "oracle" | "blind",
  model?: Model,
): BatchOptions["job"] {
  const byId = new Map(dataset.instances.map((instance) => [instance.instance_id, instance]));
  return {
    model:
      model ??
      createModel(modelSpec, {
        baseUrl: options.baseUrl,
        prices: loadPriceTable(options.prices),
        maxRetries:
          options.maxRetries === undefined
            ? undefined
            : nonNegativeInteger(options.maxRetries, "--max-retries"),
        instances: byId,
      }),
    mode,
    maxAttempts: positiveInteger(options.maxAttempts, "--max-attempts"),
    tools: options.tools === true,
    localize: parseLocalize(options.localize, modelSpec, model !== undefined),
    reproduce: options.reproduce !== false,
    contextTokens: positiveInteger(
      options.contextTokens ?? String(DEFAULT_CONTEXT_TOKEN_BUDGET),
      "--context-tokens",
    ),
    backend: createBackendResolver(options),
    cache: createCacheFromOptions(options, dataset),
    timeoutSeconds: positiveInteger(options.timeout, "--timeout"),
    datasetDigest: dataset.digest,
    swegateVersion: packageVersion(),
    signingKey: loadPrivateKey(options.key ?? join(defaultKeyDir(), PRIVATE_KEY_FILE)),
  };
}

/** Flags about the model and its calls, shared by run and ramp. */
export function addModelOptions(command: Command): Command {
  return command
    .option("--base-url <url>", "provider endpoint (required for openai-compatible)")
    .option("--key <file>", "Ed25519 private key for certificates (default: swegate keys init's)")
    .option("--prices <file>", "extra model prices (JSON, USD per million tokens)")
    .option("--max-retries <n>", "retries of one model call on rate limits and server errors", "6")
    .option("--infra-retries <n>", "retries of an instance that failed for infrastructure reasons", "2")
    .option("--context-tokens <n>", CONTEXT_TOKENS_HELP)
    .option("--localize <how>", LOCALIZE_HELP, "retrieval")
    .option(
      "--no-reproduce",
      "do not run the issue's code blocks in the instance's environment before attempt 1 (their traceback, when it is the failure the issue names, shows where to look)",
    )
    .option(
      "--tools",
      "offer the model read-only tools (view_file, search_code, list_folder) over the checkout; providers only",
    );
}
