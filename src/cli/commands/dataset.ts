import { createWriteStream, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { datasetStats } from "../../dataset/select-instances.js";
import { EnvironmentError, UserError } from "../../errors.js";
import { defaultCacheDir } from "../../workspace/repo-cache.js";
import { addDatasetOptions, type DatasetOptions, resolveInstances } from "../dataset-options.js";
import { printJson, printLine } from "../output.js";

/** The official datasets' parquet files on HuggingFace (test split). */
const OFFICIAL: Record<string, string> = {
  lite: "princeton-nlp/SWE-bench_Lite/resolve/main/data/test-00000-of-00001.parquet",
  verified: "princeton-nlp/SWE-bench_Verified/resolve/main/data/test-00000-of-00001.parquet",
  full: "princeton-nlp/SWE-bench/resolve/main/data/test-00000-of-00001.parquet",
};

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
    .description("download an official dataset (lite, verified, full) from HuggingFace into the cache")
    .option("--cache-dir <dir>", "cache folder", defaultCacheDir())
    .option("--json", "print JSON only")
    .action(async (name: string, options: { cacheDir: string; json?: boolean }) => {
      const path = OFFICIAL[name];
      if (!path)
        throw new UserError(`unknown dataset ${JSON.stringify(name)}`, {
          where: "dataset fetch",
          hint: "use lite, verified or full",
        });
      const base = process.env.SWEGATE_HF_BASE_URL ?? "https://huggingface.co/datasets";
      const url = `${base}/${path}`;
      const folder = join(options.cacheDir, "datasets");
      mkdirSync(folder, { recursive: true });
      const target = join(folder, `swe-bench-${name}.parquet`);
      await download(url, target, !options.json);
      if (options.json) printJson({ dataset: name, path: target });
      else printLine(`saved ${name} to ${target}\nuse it as: swegate run ${target}`);
    });
}

async function download(url: string, target: string, showProgress: boolean): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new EnvironmentError(
      `cannot reach ${new URL(url).host}: ${(error as Error).cause ?? (error as Error).message}`,
      {
        where: "dataset fetch",
        hint: "this machine looks offline; download the parquet elsewhere and pass its path to any command",
      },
    );
  }
  if (!response.ok || !response.body) {
    throw new EnvironmentError(`download failed: HTTP ${response.status}`, {
      where: url,
      hint: "try again later",
    });
  }
  const total = Number(response.headers.get("content-length") ?? 0);
  const partial = `${target}.partial`;
  const out = createWriteStream(partial);
  let received = 0;
  let lastShown = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    out.write(chunk);
    received += chunk.length;
    if (showProgress && Date.now() - lastShown > 500) {
      lastShown = Date.now();
      const percent = total ? ` (${Math.floor((received / total) * 100)}%)` : "";
      process.stderr.write(`downloaded ${(received / 1e6).toFixed(1)} MB${percent}\n`);
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  renameSync(partial, target);
}
