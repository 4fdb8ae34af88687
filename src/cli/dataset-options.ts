import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import type { Instance } from "../dataset/instance.js";
import { type Dataset, loadDataset } from "../dataset/load-dataset.js";
import { type Selection, selectInstances } from "../dataset/select-instances.js";
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

/** The selection the flags describe (ids from --instances and --instances-file together). */
export function selectionFromOptions(options: DatasetOptions): Selection {
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
    ids.push(
      ...text
        .split("\n")
        .map((line) => line.replace(/#.*/, "").trim())
        .filter(Boolean),
    );
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
  const instances = selectInstances(dataset.instances, { ...selectionFromOptions(options), ...extra });
  return { dataset, instances };
}
