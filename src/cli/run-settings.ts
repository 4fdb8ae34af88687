import type { Dataset } from "../dataset/load-dataset.js";
import { UserError } from "../errors.js";
import type { RunRecord } from "../store/records.js";
import { positiveInteger } from "./backend-options.js";

/**
 * A run is what it was started with: every flag that changes its results is recorded in the run's
 * config when it is created, and a resume (or a rerun of the same `--run-id`) runs with the recorded
 * value. Settings that do not change results (workers, store, output, cost budget, retries, where
 * repositories are cloned from and checked out) are not recorded and may differ on each resume.
 */
export interface RunSetting {
  /** Key in the run's recorded config. */
  key: string;
  /** Property of the parsed command options (commander's camelCase name of the flag). */
  option: string;
  /** The flag as typed, for messages. */
  flag: string;
  /** How the value is kept: a whole number, an on/off switch, or text (null when not given). */
  kind: "count" | "switch" | "text";
}

/** Every setting that changes a run's results, besides its model and dataset (columns of their own). */
export const RUN_SETTINGS: readonly RunSetting[] = [
  { key: "mode", option: "mode", flag: "--mode", kind: "text" },
  { key: "max_attempts", option: "maxAttempts", flag: "--max-attempts", kind: "count" },
  { key: "timeout", option: "timeout", flag: "--timeout", kind: "count" },
  { key: "tools", option: "tools", flag: "--tools", kind: "switch" },
  { key: "context_tokens", option: "contextTokens", flag: "--context-tokens", kind: "count" },
  { key: "localize", option: "localize", flag: "--localize", kind: "text" },
  { key: "reproduce", option: "reproduce", flag: "--no-reproduce", kind: "switch" },
  { key: "backend", option: "backend", flag: "--backend", kind: "text" },
  { key: "python", option: "python", flag: "--python", kind: "text" },
  { key: "python_config", option: "pythonConfig", flag: "--python-config", kind: "text" },
  { key: "env", option: "env", flag: "--env", kind: "text" },
  { key: "debian_mirror", option: "debianMirror", flag: "--debian-mirror", kind: "text" },
  { key: "spec_env", option: "specEnv", flag: "--spec-env", kind: "switch" },
  { key: "index_url", option: "indexUrl", flag: "--index-url", kind: "text" },
  { key: "exclude_newer", option: "excludeNewer", flag: "--exclude-newer", kind: "text" },
  { key: "base_url", option: "baseUrl", flag: "--base-url", kind: "text" },
  { key: "healthy_only", option: "healthyOnly", flag: "--healthy-only", kind: "switch" },
];

/** A ramp's phases choose their own instances (healthy-only is a phase field of the plan). */
export const RAMP_SETTINGS: readonly RunSetting[] = RUN_SETTINGS.filter(
  (setting) => setting.key !== "healthy_only",
);

type Options = Record<string, unknown>;
type Recorded = number | boolean | string | null;

/** A setting's value as recorded: numbers checked (naming the flag), switches as booleans, absent text as null. */
function toRecorded(setting: RunSetting, value: unknown): Recorded {
  if (setting.kind === "count") return positiveInteger(String(value), setting.flag);
  if (setting.kind === "switch") return value === true;
  return typeof value === "string" && value !== "" ? value : null;
}

/** A recorded value back in the options' own form (the flags parse strings). */
function toOption(setting: RunSetting, value: Recorded): unknown {
  if (setting.kind === "count") return String(value);
  if (setting.kind === "switch") return value === true;
  return value ?? undefined;
}

/** What a new run records in its config: each setting as it will run. */
export function recordSettings(options: object, settings: readonly RunSetting[]): Record<string, Recorded> {
  return Object.fromEntries(
    settings.map((setting) => [setting.key, toRecorded(setting, (options as Options)[setting.option])]),
  );
}

/** How a refusal ends: what the user can do (resume as started, or choose another run id). */
export interface Contradiction {
  /** The run whose recorded settings win. */
  run: RunRecord;
  /** The hint of the one-line error, e.g. "drop the flag to resume as started". */
  hint: string;
}

function contradiction(
  given: string,
  started: string,
  { run, hint }: Contradiction,
  otherHint?: string,
): UserError {
  return new UserError(`${given} contradicts run ${run.run_id}, started with ${started}`, {
    hint: otherHint ?? hint,
  });
}

/**
 * The options with the run's recorded settings in place: a flag given explicitly (`isGiven`) that
 * differs from the recorded value is refused with one line naming that value. Also returns the
 * settings the run has no record of: runs made before swegate recorded them (before, only mode,
 * max_attempts, backend, timeout and later tools were kept, and ramps kept only the mode). For
 * those the flags given, else today's defaults, are used — the same defaults those versions had —
 * and the caller says so: refusing would leave old runs unfinishable, and guessing in silence is
 * what made a resume run with other settings than its start.
 */
export function applyRecordedSettings<T extends object>(
  options: T,
  isGiven: (option: string) => boolean,
  settings: readonly RunSetting[],
  against: Contradiction,
): { options: T; unrecorded: string[] } {
  const { run } = against;
  const merged: Options = { ...(options as Options) };
  const unrecorded: string[] = [];
  for (const setting of settings) {
    // The mode has been a column from the start; the config copy is newer.
    const stored = setting.key === "mode" ? (run.config.mode ?? run.mode) : run.config[setting.key];
    if (stored === undefined) {
      unrecorded.push(setting.key);
      continue;
    }
    const recorded = toRecorded(setting, stored);
    const value = merged[setting.option];
    if (isGiven(setting.option) && toRecorded(setting, value) !== recorded) {
      const given = setting.kind === "switch" ? setting.flag : `${setting.flag}=${String(value)}`;
      const started =
        recorded === null || recorded === false ? `no ${setting.flag}` : `${setting.key} ${recorded}`;
      throw contradiction(given, started, against);
    }
    merged[setting.option] = toOption(setting, recorded);
  }
  return { options: merged as T, unrecorded };
}

/** Refuses a `--model` other than the run's. */
export function checkModel(model: string | undefined, against: Contradiction): void {
  if (model !== undefined && model !== against.run.model)
    throw contradiction(`--model=${model}`, `model ${against.run.model}`, against);
}

const short = (digest: string) => digest.slice(0, 12);

/**
 * Refuses a dataset whose contents differ from the run's (by sha256): one given as an argument, or
 * the run's own file changed since it started. A file moved elsewhere with the same contents is fine.
 */
export function checkDataset(dataset: Dataset, given: boolean, against: Contradiction): void {
  const { run } = against;
  if (dataset.digest === run.dataset_digest) return;
  if (given)
    throw contradiction(
      `dataset ${dataset.source} (sha256 ${short(dataset.digest)})`,
      `dataset ${run.dataset_source} (sha256 ${short(run.dataset_digest)})`,
      against,
      `leave the dataset out to finish run ${run.run_id} on its own`,
    );
  throw new UserError(
    `dataset ${dataset.source} changed since run ${run.run_id} started (sha256 ${short(run.dataset_digest)} then, ${short(dataset.digest)} now)`,
    { hint: "put the file back as it was, or start a new run" },
  );
}

/**
 * Refuses selection flags that select other instances than the run's. With healthy-only the run
 * kept only the healthy ones of what the flags selected, so then the flags may select more.
 */
export function checkSelection(
  selected: readonly string[],
  given: { flag: string; value: string } | undefined,
  healthyOnly: boolean,
  against: Contradiction,
): void {
  if (!given) return;
  const chosen = new Set(selected);
  const stored = new Set(against.run.selection);
  const same =
    against.run.selection.every((id) => chosen.has(id)) &&
    (healthyOnly || selected.every((id) => stored.has(id)));
  if (!same)
    throw contradiction(
      `${given.flag}=${given.value}`,
      `another selection (${stored.size} instance(s), listed by swegate show ${against.run.run_id})`,
      against,
    );
}
