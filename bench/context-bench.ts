// What the model sees on attempt 1, old (whole files: named, then BM25) against new (definitions
// located and shown as outline + pieces), on real SWE-bench rows at their base commits, side by side.
// Needs SWEGATE_BENCH_REPO_URL (a clone URL template such as /mirrors/{owner}+{name}/repo) and
// SWEGATE_BENCH_CONTEXT_DATASETS (comma-separated SWE-bench JSONL files with their gold `patch`, e.g. a
// development set of Lite rows and src/specs/fixtures/lite-sample.jsonl); repositories without a
// mirror are skipped with a line saying so.
// SWEGATE_BENCH_CONTEXT_DETAIL=1 prints one line per instance. Run alone: `npx tsx bench/context-bench.ts`.
// SWEGATE_BENCH_CONTEXT_PYTHON (comma-separated `owner/name=interpreter`, e.g. `sympy/sympy=/usr/bin/python3.9`
// with the package's dependencies installed for it) adds a third column: the located context with the
// issue's own code run in the isolated backend for those repositories (the others as in the second).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildContext, DEFAULT_CONTEXT_TOKEN_BUDGET, listTrackedFiles } from "../src/agent/build-context.js";
import { buildWholeFileContext } from "../src/agent/build-whole-file-context.js";
import { renderTaskMessage } from "../src/agent/prompts.js";
import {
  type ContextReport,
  reportContext,
  summarizeReports,
} from "../src/context/measure-instance-context.js";
import { backendScriptRunner } from "../src/context/reproduce-issue.js";
import type { Instance } from "../src/dataset/instance.js";
import { loadDataset } from "../src/dataset/load-dataset.js";
import type { Backend } from "../src/exec/backend.js";
import { createIsolatedBackend } from "../src/exec/isolated-backend.js";
import { createWorkspace, drainWorkspacePool } from "../src/workspace/create-workspace.js";
import { createRepoCache, repoUrl } from "../src/workspace/repo-cache.js";

/** Printable lines: coverage and tokens of both builders over the same instances. */
export async function benchContext(): Promise<string[]> {
  const template = process.env.SWEGATE_BENCH_REPO_URL;
  const datasets = (process.env.SWEGATE_BENCH_CONTEXT_DATASETS ?? "").split(",").filter(Boolean);
  if (!template || datasets.length === 0)
    return [
      "context: skipped — needs SWEGATE_BENCH_REPO_URL (mirror template, e.g. /mirrors/{owner}+{name}/repo) " +
        "and SWEGATE_BENCH_CONTEXT_DATASETS (comma-separated SWE-bench JSONL files)",
    ];
  const lines: string[] = [];
  const instances: Instance[] = [];
  for (const path of datasets) instances.push(...(await loadDataset(path)).instances);
  const repos = [...new Set(instances.map((instance) => instance.repo))].sort();
  const present = repos.filter((repo) => {
    const url = repoUrl(template, repo);
    return !url.startsWith("/") || existsSync(url);
  });
  for (const repo of repos.filter((name) => !present.includes(name)))
    lines.push(
      `context: skipped ${repo} (${instances.filter((i) => i.repo === repo).length} instances): no mirror at ${repoUrl(template, repo)}`,
    );
  const scratch = mkdtempSync(join(tmpdir(), "swegate-context-bench-"));
  const old: ContextReport[] = [];
  const fresh: ContextReport[] = [];
  const millis: number[] = [];
  const detail = process.env.SWEGATE_BENCH_CONTEXT_DETAIL === "1";
  const reproducing = reproducingBackends(process.env.SWEGATE_BENCH_CONTEXT_PYTHON ?? "");
  const withRuns: ContextReport[] = [];
  try {
    const cache = createRepoCache({ cacheDir: join(scratch, "cache"), repoUrlTemplate: template });
    for (const instance of instances.filter((row) => present.includes(row.repo))) {
      // A mirror missing some blobs (large files left out of a snapshot) cannot check out: skip the instance.
      const workspace = await cache
        .ensureCommit(instance.repo, instance.base_commit)
        .then(() => createWorkspace(cache, { repo: instance.repo, baseCommit: instance.base_commit }))
        .catch((error: unknown) => {
          const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
          lines.push(`context: skipped ${instance.instance_id}: no checkout (${reason})`);
          return undefined;
        });
      if (!workspace) continue;
      try {
        const options = { instance, dir: workspace.dir, tokenBudget: DEFAULT_CONTEXT_TOKEN_BUDGET };
        const files = await listTrackedFiles(workspace.dir);
        const before = await buildWholeFileContext({ ...options, files });
        old.push(reportContext(instance.instance_id, before, renderTaskMessage(before), instance.patch));
        const started = performance.now();
        const after = await buildContext({ ...options, files });
        millis.push(performance.now() - started);
        const report = reportContext(instance.instance_id, after, renderTaskMessage(after), instance.patch);
        fresh.push(report);
        const backend = reproducing.get(instance.repo);
        let reproduced = report;
        if (backend) {
          const reproduce = backendScriptRunner(backend, workspace.dir, instance.base_commit);
          const ran = await buildContext({ ...options, files, reproduce });
          reproduced = reportContext(instance.instance_id, ran, renderTaskMessage(ran), instance.patch);
        }
        if (reproducing.size > 0) withRuns.push(reproduced);
        if (detail) lines.push(describe(old.at(-1), report, reproducing.size > 0 ? reproduced : undefined));
      } finally {
        await workspace.dispose();
      }
    }
    for (const repo of present) await drainWorkspacePool(cache, repo);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const a = summarizeReports(old);
  const b = summarizeReports(fresh);
  const c = reproducing.size > 0 ? summarizeReports(withRuns) : undefined;
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  const sorted = [...millis].sort((x, y) => x - y);
  const row = (label: string, value: (summary: typeof b) => string) =>
    `context: ${label.padEnd(31)}${value(a).padStart(10)}   ${value(b).padStart(12)}${c ? `   ${value(c).padStart(12)}` : ""}`;
  lines.push(
    `context: ${b.instances} instances (${present.join(", ")}), budget ${DEFAULT_CONTEXT_TOKEN_BUDGET} tokens of files`,
    `context:                               whole files (old)   located (new)${c ? `   new + issue code run (${[...reproducing.keys()].join(", ")})` : ""}`,
    row("every edited file shown", (s) => percent(s.fileCoverage)),
    row("gold hunks in verbatim text", (s) => percent(s.hunkCoverage)),
    row("instances with every hunk", (s) => percent(s.allHunksCovered)),
    row("mean tokens, first message", (s) => s.meanTokens.toFixed(0)),
    `context: new builder median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms an instance`,
  );
  return lines;
}

/** `owner/name=interpreter,…` as an isolated backend per repository. */
function reproducingBackends(setting: string): Map<string, Backend> {
  const backends = new Map<string, Backend>();
  for (const pair of setting.split(",").filter(Boolean)) {
    const [repo = "", python = ""] = pair.split("=");
    if (!repo || !python)
      throw new Error(`SWEGATE_BENCH_CONTEXT_PYTHON: ${JSON.stringify(pair)} is not owner/name=interpreter`);
    backends.set(repo, createIsolatedBackend({ python }));
  }
  return backends;
}

function describe(
  before: ContextReport | undefined,
  after: ContextReport,
  reproduced?: ContextReport,
): string {
  const mark = (report: ContextReport | undefined) =>
    report?.score
      ? `${report.score.coveredHunks}/${report.score.hunks}${report.score.allFilesShown ? "" : " file missed"}`
      : "?";
  const run = reproduced ? ` run ${mark(reproduced).padEnd(16)}` : "";
  return `context: ${after.instance_id.padEnd(32)} old ${mark(before).padEnd(16)} new ${mark(after).padEnd(16)}${run} ${before?.tokens ?? 0} → ${after.tokens} tokens`;
}

if (import.meta.url === `file://${process.argv[1]}`)
  for (const line of await benchContext()) console.log(line);
