import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { requireSafeName } from "../../dataset/safe-name.js";
import { buildRunReport } from "../../report/build-run-report.js";
import { compareRuns, type RunComparison, renderComparison } from "../../report/compare-runs.js";
import { renderHtml, renderMarkdown } from "../../report/render-report.js";
import { openStore } from "../../store/open-store.js";
import { DEFAULT_STORE } from "../backend-options.js";
import { printJson, printLine } from "../output.js";
import { requireRun } from "../require-run.js";

export function registerReportCommands(program: Command): void {
  program
    .command("report <run>")
    .description("write report.json, summary.md and a self-contained report.html (charts, attempts, diffs)")
    .option("--store <dir>", "results database", DEFAULT_STORE)
    .option("--out <dir>", "output folder (default: <store>/runs/<run>/report)")
    .option("--compare <run2>", "put a second run side by side")
    .option("--json", "print JSON only")
    .action(
      async (runId: string, options: { store: string; out?: string; compare?: string; json?: boolean }) => {
        const store = openStore(options.store);
        const run = requireRun(store, runId);
        const report = buildRunReport(run, store.getInstanceResults(runId), (id) =>
          store.getAttempts(runId, id),
        );
        let comparison: RunComparison | undefined;
        if (options.compare) {
          const otherId = options.compare;
          const other = requireRun(store, otherId, `--compare=${otherId}`);
          comparison = compareRuns(
            report,
            buildRunReport(other, store.getInstanceResults(otherId), (id) => store.getAttempts(otherId, id)),
          );
        }
        store.close();
        // A run recorded before run ids were checked may carry an unsafe one: never write through it.
        const out =
          options.out ??
          join(
            options.store,
            "runs",
            requireSafeName(
              runId,
              "run id",
              `report ${runId}`,
              "pass --out DIR to write the report elsewhere",
            ),
            "report",
          );
        mkdirSync(out, { recursive: true });
        const files = {
          json: join(out, "report.json"),
          markdown: join(out, "summary.md"),
          html: join(out, "report.html"),
        };
        const sections = comparison ? renderComparison(comparison) : undefined;
        writeFileSync(
          files.json,
          `${JSON.stringify(comparison ? { ...report, comparison } : report, null, 2)}\n`,
        );
        writeFileSync(files.markdown, renderMarkdown(report) + (sections?.markdown ?? ""));
        writeFileSync(
          files.html,
          (await renderHtml(report)).replace("</body>", `${sections?.html ?? ""}\n</body>`),
        );
        if (options.json)
          return printJson({ files, funnel: report.funnel, verified_rate: report.verified_rate });
        for (const file of Object.values(files)) printLine(file);
      },
    );

  program
    .command("export <run>")
    .description("write the run's patches as SWE-bench predictions (JSONL)")
    .requiredOption("--predictions <file>", "output file")
    .option("--store <dir>", "results database", DEFAULT_STORE)
    .action((runId: string, options: { store: string; predictions: string }) => {
      const store = openStore(options.store);
      const run = requireRun(store, runId);
      const results = store.getInstanceResults(runId);
      store.close();
      const lines = results.map((result) =>
        JSON.stringify({
          instance_id: result.instance_id,
          model_name_or_path: `swegate__${run.model}`,
          model_patch: result.patch,
        }),
      );
      writeFileSync(options.predictions, `${lines.join("\n")}\n`);
      printLine(`wrote ${lines.length} predictions to ${options.predictions}`);
    });
}
