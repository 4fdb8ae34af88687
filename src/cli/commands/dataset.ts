import { existsSync } from "node:fs";
import { join } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { datasetStats } from "../../dataset/dataset-stats.js";
import { type DownloadProgress, downloadFile } from "../../dataset/download-file.js";
import { loadDataset } from "../../dataset/load-dataset.js";
import {
  DEFAULT_HUGGINGFACE_BASE_URL,
  isOfficialDatasetName,
  officialDatasetFileName,
  officialDatasetUrl,
} from "../../dataset/official-datasets.js";
import { UserError } from "../../errors.js";
import { defaultCacheDir } from "../../workspace/repo-cache.js";
import { addDatasetOptions, type DatasetOptions, resolveInstances } from "../dataset-options.js";
import { printJson, printLine } from "../output.js";

/** Registers `swegate dataset stats|list|fetch`. */
export function registerDatasetCommand(program: Command): void {
  const dataset = program.command("dataset").description("inspect and fetch SWE-bench datasets");

  addDatasetOptions(
    dataset
      .command("stats [file]")
      .description(
        "count instances: total, per repository and per repository@version (default: the bundled demo)",
      )
      .option("--json", "print JSON only"),
  ).action(async (file: string | undefined, options: DatasetOptions & { json?: boolean }) => {
    const { instances } = await resolveInstances(file, options);
    const stats = datasetStats(instances);
    if (options.json) return printJson(stats);
    printLine(`total: ${stats.total}`);
    printLine("by repository:");
    for (const [repo, count] of Object.entries(stats.by_repo))
      printLine(`  ${String(count).padStart(5)}  ${repo}`);
    printLine("by repository@version:");
    for (const [key, count] of Object.entries(stats.by_repo_version))
      printLine(`  ${String(count).padStart(5)}  ${key}`);
  });

  addDatasetOptions(
    dataset
      .command("list [file]")
      .description("list the selected instance ids")
      .option("--json", "print JSON only"),
  ).action(async (file: string | undefined, options: DatasetOptions & { json?: boolean }) => {
    const { instances } = await resolveInstances(file, options);
    if (options.json)
      return printJson(
        instances.map((instance) => ({
          instance_id: instance.instance_id,
          repo: instance.repo,
          version: instance.version,
        })),
      );
    for (const instance of instances)
      printLine(`${instance.instance_id}\t${instance.repo}@${instance.version}`);
  });

  dataset
    .command("fetch <name>")
    .description(
      "download an official dataset (lite, verified, full: test split, parquet) from HuggingFace into the cache",
    )
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .option("--force", "download again even when the file is already in the cache")
    .option("--json", "print JSON only")
    .addHelpText(
      "after",
      `\nThe base URL is ${DEFAULT_HUGGINGFACE_BASE_URL}; set SWEGATE_HF_BASE_URL to use a mirror.`,
    )
    .action(async (name: string, options: { cacheDir: string; force?: boolean; json?: boolean }) => {
      if (!isOfficialDatasetName(name)) {
        throw new UserError(`unknown dataset ${JSON.stringify(name)}`, {
          where: "dataset fetch",
          hint: "use lite, verified or full, or pass your own file to any command",
        });
      }
      const url = officialDatasetUrl(name, process.env.SWEGATE_HF_BASE_URL || DEFAULT_HUGGINGFACE_BASE_URL);
      const target = join(options.cacheDir, "datasets", officialDatasetFileName(name));
      const cached = existsSync(target) && !options.force;
      if (!cached) {
        const reporter = options.json ? undefined : createDownloadReporter(Boolean(process.stderr.isTTY));
        try {
          await downloadFile(url, target, { onProgress: reporter?.update });
        } finally {
          reporter?.stop();
        }
      }
      // Loading validates the file, so a corrupt download is caught here rather than mid-run.
      const { instances, digest } = await loadDataset(target);
      if (options.json) {
        printJson({ dataset: name, path: target, url, instances: instances.length, digest, cached });
        return;
      }
      printLine(`${cached ? "already in the cache" : "saved"}: ${target} (${instances.length} instances)`);
      printLine(`use it as: swegate run ${target}`);
    });
}

/** Download progress on stderr: a live bar on a terminal, otherwise a plain line every 10%. */
function createDownloadReporter(tty: boolean): {
  update: (progress: DownloadProgress) => void;
  stop: () => void;
} {
  const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;
  if (tty) {
    const bar = new cliProgress.SingleBar(
      { format: " downloading {bar} {percentage}% | {value}/{total} MB", hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: ({ receivedBytes, totalBytes }) => {
        if (!started) bar.start(megabytes(totalBytes ?? receivedBytes), 0);
        started = true;
        if (totalBytes === undefined) bar.setTotal(megabytes(receivedBytes));
        bar.update(megabytes(receivedBytes));
      },
      stop: () => bar.stop(),
    };
  }
  let shownStep = -1;
  return {
    update: ({ receivedBytes, totalBytes }) => {
      // Without a size, a line per 10 MB; with one, a line per 10%.
      const step = totalBytes
        ? Math.floor((receivedBytes / totalBytes) * 10)
        : Math.floor(receivedBytes / 1e7);
      if (step === shownStep) return;
      shownStep = step;
      const percent = totalBytes ? ` (${step * 10}%)` : "";
      process.stderr.write(`downloaded ${megabytes(receivedBytes)} MB${percent}\n`);
    },
    stop: () => undefined,
  };
}
