// Grading throughput: parse + grade 250 real official logs (cycling the official sample), as
// `swegate grade` does for each. Run alone with `npx tsx bench/grading-bench.ts`.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildHarnessReport } from "../src/grading/build-harness-report.js";

const LOG_COUNT = 250;
const sampleRoot = join(import.meta.dirname, "..", "src", "grading", "fixtures", "official-sample");

/** Parses and grades 250 logs; returns the lines to print (logs/second and ms/log, per rule set). */
export async function benchGrading(): Promise<string[]> {
  const cases = readdirSync(sampleRoot)
    .sort()
    .map((id) => ({
      log: readFileSync(join(sampleRoot, id, "test_output.txt"), "utf8"),
      instance: {
        ...JSON.parse(readFileSync(join(sampleRoot, id, "instance.json"), "utf8")),
        version: "",
        extra: {},
      },
    }));
  const bytes = cases.reduce((total, item) => total + item.log.length, 0) / cases.length;
  const lines: string[] = [];
  for (const rules of ["v2", "v5"] as const) {
    // One untimed pass so module loading and JIT warm-up are not counted.
    for (const item of cases) buildHarnessReport({ ...item, patch: "diff", rules });
    const started = performance.now();
    let resolved = 0;
    for (let index = 0; index < LOG_COUNT; index++) {
      const item = cases[index % cases.length] as (typeof cases)[number];
      const report = buildHarnessReport({ ...item, patch: "diff", rules });
      if (report[item.instance.instance_id]?.resolved) resolved++;
    }
    const elapsed = performance.now() - started;
    lines.push(
      `grading (${rules}): ${LOG_COUNT} official logs (mean ${(bytes / 1024).toFixed(0)} KiB) parsed and graded in ${elapsed.toFixed(0)} ms — ${((LOG_COUNT * 1000) / elapsed).toFixed(0)} logs/s, ${(elapsed / LOG_COUNT).toFixed(2)} ms/log (${resolved} resolved)`,
    );
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of await benchGrading()) console.log(line);
}
