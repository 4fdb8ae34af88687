import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import type { Instance } from "../dataset/instance.js";
import { type Dataset, loadDataset } from "../dataset/load-dataset.js";
import { type Selection, type SelectionStep, selectExplained } from "../dataset/select-instances.js";
import { UserError } from "../errors.js";

/** Selection flags shared by every command that takes a dataset. */
export interface DatasetOptions {
  /** `--instances`: comma-separated instance ids. */
  instances?: string;
  /** `--instances-file`: path of a file with one id per line (`#` starts a comment). */
  instancesFile?: string;
  /** `--repos`: comma-separated `owner/name` to keep. */
  repos?: string;
  /** `--exclude-repos`: comma-separated `owner/name` to leave out. */
  excludeRepos?: string;
  /** `--sample`: how many instances to take (a whole number, as typed). */
  sample?: string;
  /** `--seed`: seed of the sample (any text; default "0"). */
  seed?: string;
}

/** Adds the selection flags to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .option("--instances <ids>", "only these instance ids (comma-separated)")
    .option("--instances-file <file>", "only the instance ids listed in a file (one per line, # comments)")
    .option("--repos <repos>", "only these repositories (comma-separated owner/name)")
    .option("--exclude-repos <repos>", "leave out these repositories (comma-separated)")
    .option("--sample <n>", "take N instances, chosen deterministically by --seed")
    .option("--seed <seed>", "seed for --sample", "0");
}

const splitList = (text: string | undefined) =>
  text
    ?.split(",")
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * A flag given a value that lists nothing (`--instances ""`, `--repos ,`) would otherwise mean "no
 * filter" and select the whole dataset: the opposite of what was asked.
 */
function refuseEmptyList(list: string[] | undefined, flag: string, value: string | undefined, what: string) {
  if (list !== undefined && list.length === 0)
    throw new UserError(`names no ${what}`, {
      where: `${flag}=${value}`,
      hint: `give at least one ${what}, or leave out ${flag}`,
    });
}

/** The selection the flags describe (ids from --instances and --instances-file together). */
export function selectionFromOptions(options: DatasetOptions): Selection {
  refuseEmptyList(splitList(options.instances), "--instances", options.instances, "instance id");
  refuseEmptyList(splitList(options.repos), "--repos", options.repos, "repository");
  const ids = [...(splitList(options.instances) ?? [])];
  if (options.instancesFile) {
    let text: string;
    try {
      text = readFileSync(options.instancesFile, "utf8");
    } catch (error) {
      throw new UserError(
        `cannot read the instances file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`,
        {
          where: `--instances-file=${options.instancesFile}`,
          hint: "give a text file with one instance id per line",
        },
      );
    }
    const listed = text
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter(Boolean);
    // An empty list file would select everything, the opposite of a list of chosen instances.
    if (listed.length === 0)
      throw new UserError("lists no instance id", {
        where: `--instances-file=${options.instancesFile}`,
        hint: "put one instance id per line",
      });
    ids.push(...listed);
  }
  let sample: number | undefined;
  if (options.sample !== undefined) {
    sample = Number(options.sample);
    if (!Number.isInteger(sample) || sample < 1) {
      throw new UserError("must be a whole number of at least 1", { where: `--sample=${options.sample}` });
    }
  }
  return {
    ids: ids.length > 0 ? ids : undefined,
    repos: splitList(options.repos),
    excludeRepos: splitList(options.excludeRepos),
    sample,
    seed: options.seed,
  };
}

/** Loads the dataset (the bundled demo when none is given) and applies the selection flags. */
export async function resolveInstances(
  datasetArgument: string | undefined,
  options: DatasetOptions,
  extra: Partial<Selection> = {},
): Promise<{ dataset: Dataset; instances: Instance[] }> {
  const dataset =
    datasetArgument && datasetArgument !== "demo"
      ? await loadDataset(datasetArgument)
      : await loadDemoDataset();
  const { selected, emptiedBy } = selectExplained(dataset.instances, {
    ...selectionFromOptions(options),
    ...extra,
  });
  // An empty selection would record an empty run and exit 0, which looks like success.
  if (selected.length === 0) throw emptySelectionError(emptiedBy, options, dataset);
  return { dataset, instances: selected };
}

function emptySelectionError(step: SelectionStep | undefined, options: DatasetOptions, dataset: Dataset) {
  const of = `of the ${dataset.instances.length} in ${dataset.source}`;
  switch (step) {
    case "repos":
      return new UserError(`selects no instance ${of}`, {
        where: `--repos=${options.repos}`,
        hint: "see `swegate dataset stats` for the repositories it has",
      });
    case "excludeRepos":
      return new UserError("leaves no instance selected", {
        where: `--exclude-repos=${options.excludeRepos}`,
        hint: "exclude fewer repositories",
      });
    case "healthyIds":
      return new UserError("no selected instance is healthy in the health registry", {
        where: "--healthy-only",
        hint: "run `swegate validate` on this dataset first",
      });
    default:
      return new UserError(`the selection selects no instance ${of}`, {
        hint: "check --instances, --repos, --exclude-repos and --sample against `swegate dataset list`",
      });
  }
}
