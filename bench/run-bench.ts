// Orchestration cost of `swegate run`: 300 instances with an instant scripted model (the oracle)
// and a synthetic backend whose "tests" read one file, so what is measured is swegate itself
// (worktrees, patch chain, gates, store transactions) — plus the speed-up of 2 workers over 1 on
// real pytest runs of the demo. Run alone with `npx tsx bench/run-bench.ts`.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDemoRepositories } from "../src/dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../src/dataset/demo/load-demo-dataset.js";
import type { Instance } from "../src/dataset/instance.js";
import type { Backend } from "../src/exec/backend.js";
import { createHostBackend } from "../src/exec/host-backend.js";
import { createModel } from "../src/model/create-model.js";
import { loadPriceTable } from "../src/model/price-table.js";
import { runBatch } from "../src/run/run-batch.js";
import { openStore } from "../src/store/open-store.js";
import { createRepoCache } from "../src/workspace/repo-cache.js";

/** Prints pytest-style lines from `state.txt`: FAILED before the fix, PASSED after. */
const syntheticBackend: Backend = {
  name: "synthetic",
  async run(script, options) {
    const nonce = /swegate-start ([0-9a-f]+)/.exec(script)?.[1] ?? "";
    let state = "";
    try {
      state = readFileSync(join(options.cwd, "state.txt"), "utf8").trim();
    } catch {
      state = "missing";
    }
    const status = state === "fixed" ? "PASSED" : "FAILED";
    const output = `>>>>> swegate-start ${nonce}\nPASSED test_x.py::test_kept\n${status} test_x.py::test_bug\n\n>>>>> swegate-end ${nonce} exit=${status === "PASSED" ? 0 : 1}\n`;
    return {
      exitCode: status === "PASSED" ? 0 : 1,
      output,
      durationMs: 0,
      timedOut: false,
      truncatedBytes: 0,
    };
  },
  async describe() {
    return { backend: "synthetic", python: "none", pythonVersion: "none" };
  },
};

function syntheticInstances(scratch: string, count: number): { instances: Instance[]; template: string } {
  const work = join(scratch, "source");
  mkdirSync(work, { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(join(work, "state.txt"), "bug\n");
  writeFileSync(join(work, "test_x.py"), "def test_bug():\n    pass\n");
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@b",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@b",
  };
  execFileSync("git", ["add", "-A"], { cwd: work, env });
  execFileSync("git", ["commit", "-q", "-m", "base"], { cwd: work, env });
  const base = execFileSync("git", ["rev-parse", "HEAD"], { cwd: work, encoding: "utf8" }).trim();
  const patch =
    "diff --git a/state.txt b/state.txt\n--- a/state.txt\n+++ b/state.txt\n@@ -1 +1 @@\n-bug\n+fixed\n";
  const testPatch =
    "diff --git a/test_x.py b/test_x.py\n--- a/test_x.py\n+++ b/test_x.py\n@@ -1,2 +1,5 @@\n def test_bug():\n     pass\n+\n+def test_kept():\n+    pass\n";
  const instances = Array.from({ length: count }, (_, index) => ({
    instance_id: `bench__synthetic-${index}`,
    repo: "bench/synthetic",
    base_commit: base,
    patch,
    test_patch: testPatch,
    problem_statement: "state.txt says bug",
    hints_text: "",
    created_at: "",
    version: "0",
    FAIL_TO_PASS: ["test_x.py::test_bug"],
    PASS_TO_PASS: ["test_x.py::test_kept"],
    environment_setup_commit: base,
    extra: {},
  }));
  return { instances, template: work };
}

async function timedRun(options: {
  instances: Instance[];
  template: string;
  backend: Backend;
  workers: number;
  scratch: string;
  name: string;
}) {
  const store = openStore(join(options.scratch, `store-${options.name}`));
  const cache = createRepoCache({
    cacheDir: join(options.scratch, `cache-${options.name}`),
    repoUrlTemplate: options.template,
  });
  const dataset = { instances: options.instances, source: "bench", digest: "bench" };
  const model = createModel("oracle", {
    prices: loadPriceTable(),
    instances: new Map(options.instances.map((instance) => [instance.instance_id, instance])),
  });
  const started = performance.now();
  await runBatch({
    runId: options.name,
    dataset,
    instances: options.instances,
    store,
    workers: options.workers,
    infraRetries: 0,
    config: {},
    job: {
      model,
      mode: "oracle",
      maxAttempts: 1,
      backend: options.backend,
      cache,
      timeoutSeconds: 600,
      datasetDigest: "bench",
      swegateVersion: "bench",
    },
  });
  const elapsed = performance.now() - started;
  const verified = store.getInstanceResults(options.name).filter((result) => result.verified).length;
  store.close();
  return { elapsed, verified };
}

/** Returns the lines to print. */
export async function benchRun(): Promise<string[]> {
  const scratch = mkdtempSync(join(tmpdir(), "swegate-bench-run-"));
  const lines: string[] = [];
  try {
    const { instances, template } = syntheticInstances(scratch, 300);
    // Warm-up on 10 instances (mirror clone, module loading), then the measured 300.
    await timedRun({
      instances: instances.slice(0, 10),
      template,
      backend: syntheticBackend,
      workers: 1,
      scratch,
      name: "warm",
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const first = await timedRun({
      instances: instances.slice(0, 150),
      template,
      backend: syntheticBackend,
      workers: 1,
      scratch,
      name: "first-150",
    });
    const heapMiddle = process.memoryUsage().heapUsed;
    const second = await timedRun({
      instances: instances.slice(150),
      template,
      backend: syntheticBackend,
      workers: 1,
      scratch,
      name: "second-150",
    });
    const heapAfter = process.memoryUsage().heapUsed;
    const perInstance = (first.elapsed + second.elapsed) / 300;
    lines.push(
      `orchestration: 300 instances (instant oracle model, synthetic tests), ${first.verified + second.verified} verified: ${perInstance.toFixed(1)} ms per instance (goal ≤ 20 ms); heap ${(heapBefore / 1e6).toFixed(0)} → ${(heapMiddle / 1e6).toFixed(0)} → ${(heapAfter / 1e6).toFixed(0)} MB after 0/150/300`,
    );

    const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "demo-repos"));
    const demo = (await loadDemoDataset()).instances;
    // Four copies of the demo under distinct ids: real pytest runs, 20 instances.
    const many = [0, 1, 2, 3].flatMap((copy) =>
      demo.map((instance) => ({ ...instance, instance_id: `${instance.instance_id}-copy${copy}` })),
    );
    const backend = createHostBackend();
    const one = await timedRun({
      instances: many,
      template: repoUrlTemplate,
      backend,
      workers: 1,
      scratch,
      name: "one-worker",
    });
    const two = await timedRun({
      instances: many,
      template: repoUrlTemplate,
      backend,
      workers: 2,
      scratch,
      name: "two-workers",
    });
    lines.push(
      `workers: ${many.length} demo instances with real pytest runs: 1 worker ${(one.elapsed / 1000).toFixed(1)} s, 2 workers ${(two.elapsed / 1000).toFixed(1)} s → speed-up ${(one.elapsed / two.elapsed).toFixed(2)}× on ${(await import("node:os")).cpus().length} cores`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of await benchRun()) console.log(line);
}
