// Dataset figures for `npm run bench`: loading a Lite-sized dataset (300 rows) as JSONL, JSON and
// parquet, and selecting from it. The rows are the committed 20-row Lite sample repeated with new
// ids, so no download is needed; a real file can be measured too via SWEGATE_BENCH_DATASET.
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datasetStats } from "../src/dataset/dataset-stats.js";
import { loadDataset } from "../src/dataset/load-dataset.js";
import { selectInstances } from "../src/dataset/select-instances.js";
import { writeParquetDataset } from "../src/dataset/test-support/write-parquet-dataset.js";

const ROWS = 300;
const RUNS = 5;

/** Times dataset loading and selection; returns printable lines. */
export async function benchDataset(): Promise<string[]> {
  const sample = join(import.meta.dirname, "..", "src", "specs", "fixtures", "lite-sample.jsonl");
  const base = readFileSync(sample, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const rows = Array.from({ length: ROWS }, (_unused, index) => {
    const row = base[index % base.length] as Record<string, unknown>;
    return { ...row, instance_id: `${row.instance_id}-copy${Math.floor(index / base.length)}` };
  });
  const scratch = await mkdtemp(join(tmpdir(), "swegate-dataset-bench-"));
  const lines: string[] = [];
  try {
    const files = {
      jsonl: join(scratch, "lite.jsonl"),
      json: join(scratch, "lite.json"),
      parquet: join(scratch, "lite.parquet"),
    };
    writeFileSync(files.jsonl, `${rows.map((row) => JSON.stringify(row)).join("\n")}\n`);
    writeFileSync(files.json, JSON.stringify(rows));
    writeParquetDataset(files.parquet, rows);
    const real = process.env.SWEGATE_BENCH_DATASET;
    const targets: [string, string][] = [
      ...Object.entries(files),
      ...(real ? [["given", real] as [string, string]] : []),
    ];
    for (const [format, path] of targets) {
      const times: number[] = [];
      let count = 0;
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        count = (await loadDataset(path)).instances.length;
        times.push(performance.now() - started);
      }
      lines.push(
        `dataset: load ${count} rows (${format}): median ${median(times).toFixed(1)} ms over ${RUNS} runs`,
      );
    }
    const { instances } = await loadDataset(files.jsonl);
    const started = performance.now();
    for (let seed = 0; seed < 100; seed++) {
      selectInstances(instances, { sample: 50, seed, excludeRepos: ["django/django"] });
      datasetStats(instances);
    }
    lines.push(
      `dataset: select 50 of ${instances.length} by seed + stats: ${((performance.now() - started) / 100).toFixed(2)} ms each`,
    );
    if (!real)
      lines.push("dataset: set SWEGATE_BENCH_DATASET to a real file (e.g. the Lite parquet) to time it too");
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return lines;
}

function median(values: number[]): number {
  return [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] as number;
}
