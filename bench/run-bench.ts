// Orchestration cost of `swegate run`: 300 instances with an instant scripted model (the oracle)
// and a synthetic backend whose "tests" read one file, so what is measured is swegate itself
// (worktrees, patch chain, gates, store transactions) — plus the speed-up of 2 workers over 1 on
// real pytest runs of the demo. Run alone with `npx tsx bench/run-bench.ts`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { buildDemoRepositories } from "../src/dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../src/dataset/demo/load-demo-dataset.js";
import type { Instance } from "../src/dataset/instance.js";
import type { Backend } from "../src/exec/backend.js";
import { createHostBackend } from "../src/exec/host-backend.js";
import { shellCommandCount } from "../src/exec/shell-pool.js";
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

/**
 * A repository with one commit per instance (each changes `state.txt` to `bug N`), so every instance
 * has its own base commit and its own patch, as in a real dataset: a reused checkout switches commit
 * between instances and nothing can be reused from the previous instance's patch.
 */
function syntheticInstances(scratch: string, count: number): { instances: Instance[]; template: string } {
  const work = join(scratch, "source");
  mkdirSync(work, { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const stream = Array.from({ length: count }, (_, index) =>
    [
      "commit refs/heads/main\n",
      `mark :${index + 1}\n`,
      "committer bench <bench@localhost> 0 +0000\n",
      data(`instance ${index}`),
      index > 0 ? `from :${index}\n` : "",
      `M 100644 inline state.txt\n${data(`bug ${index}\n`)}`,
      index === 0 ? `M 100644 inline test_x.py\n${data("def test_bug():\n    pass\n")}` : "",
    ].join(""),
  ).join("");
  execFileSync("git", ["fast-import", "--quiet"], { cwd: work, input: stream });
  execFileSync("git", ["reset", "-q", "--hard", "main"], { cwd: work });
  const commits = execFileSync("git", ["rev-list", "--reverse", "main"], { cwd: work, encoding: "utf8" })
    .trim()
    .split("\n");
  const testPatch =
    "diff --git a/test_x.py b/test_x.py\n--- a/test_x.py\n+++ b/test_x.py\n@@ -1,2 +1,5 @@\n def test_bug():\n     pass\n+\n+def test_kept():\n+    pass\n";
  const instances = commits.map((commit, index) => ({
    instance_id: `bench__synthetic-${index}`,
    repo: "bench/synthetic",
    base_commit: commit,
    patch: `diff --git a/state.txt b/state.txt\n--- a/state.txt\n+++ b/state.txt\n@@ -1 +1 @@\n-bug ${index}\n+fixed\n`,
    test_patch: testPatch,
    problem_statement: `state.txt says bug ${index}`,
    hints_text: "",
    created_at: "",
    version: "0",
    FAIL_TO_PASS: ["test_x.py::test_bug"],
    PASS_TO_PASS: ["test_x.py::test_kept"],
    environment_setup_commit: commit,
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
  /** Folder for checkouts (default: in the cache, under `scratch`). */
  workspacesDir?: string;
}) {
  const store = openStore(join(options.scratch, `store-${options.name}`));
  const cache = createRepoCache({
    cacheDir: join(options.scratch, `cache-${options.name}`),
    repoUrlTemplate: options.template,
    workspacesDir: options.workspacesDir && join(options.workspacesDir, options.name),
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
  const results = store.getInstanceResults(options.name);
  const verified = results.filter((result) => result.verified).length;
  store.close();
  return { elapsed, verified };
}

/**
 * Orchestration cost: `count` synthetic instances run one after another (after a 10-instance
 * warm-up), in two halves so the heap can be compared between them.
 */
export async function measureOrchestration(
  scratch: string,
  count: number,
  workers = 1,
  workspacesDir?: string,
): Promise<{
  perInstanceMs: number;
  verified: number;
  heapMb: [number, number, number];
  commandsPerInstance: number;
}> {
  // Each measurement in its own folder: a second one with the same run names would resume the first's store.
  const own = mkdtempSync(join(scratch, `orchestration-${workers}-`));
  const { instances, template } = syntheticInstances(own, count);
  // Warm-up on 10 instances (mirror clone, module loading), then the measured ones.
  await timedRun({
    instances: instances.slice(0, 10),
    template,
    backend: syntheticBackend,
    workers,
    scratch: own,
    workspacesDir,
    name: `warm-${workers}`,
  });
  const half = Math.floor(count / 2);
  const heap = () => {
    collectGarbage(); // heap in use after a full collection: what stays, not what awaits collection
    return Math.round(process.memoryUsage().heapUsed / 1e6);
  };
  const heapBefore = heap();
  const commandsBefore = shellCommandCount();
  const first = await timedRun({
    instances: instances.slice(0, half),
    template,
    backend: syntheticBackend,
    workers,
    scratch: own,
    workspacesDir,
    name: `first-half-${workers}`,
  });
  const heapMiddle = heap();
  const second = await timedRun({
    instances: instances.slice(half),
    template,
    backend: syntheticBackend,
    workers,
    scratch: own,
    workspacesDir,
    name: `second-half-${workers}`,
  });
  return {
    perInstanceMs: (first.elapsed + second.elapsed) / count,
    commandsPerInstance: (shellCommandCount() - commandsBefore) / count,
    verified: first.verified + second.verified,
    heapMb: [heapBefore, heapMiddle, heap()],
  };
}

/** A full garbage collection, through V8's `gc` exposed at run time. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/** Returns the lines to print. */
export async function benchRun(): Promise<string[]> {
  const scratch = mkdtempSync(join(tmpdir(), "swegate-bench-run-"));
  const lines: string[] = [];
  try {
    const cores = (await import("node:os")).availableParallelism();
    const single = await measureOrchestration(scratch, 300, 1);
    const parallel = await measureOrchestration(scratch, 300, cores);
    lines.push(
      `orchestration: 300 instances (instant oracle model, synthetic tests, a commit each), ${single.verified}/${parallel.verified} verified: ${single.perInstanceMs.toFixed(1)} ms per instance with 1 worker, ${parallel.perInstanceMs.toFixed(1)} ms with ${cores} (the default) — goal ≤ 20 ms; ${single.commandsPerInstance.toFixed(1)} git processes per instance; heap ${single.heapMb.join(" → ")} MB after 0/150/300`,
    );
    // Most of that is git writing small files (index, patched files) on this disk: checkouts on a tmpfs.
    if (existsSync("/dev/shm")) {
      const memory = mkdtempSync(join("/dev/shm", "swegate-bench-"));
      try {
        const tmpfsSingle = await measureOrchestration(scratch, 300, 1, memory);
        const tmpfsParallel = await measureOrchestration(scratch, 300, cores, memory);
        lines.push(
          `orchestration with --workspace-dir on a tmpfs (/dev/shm), same 300 instances: ${tmpfsSingle.perInstanceMs.toFixed(1)} ms per instance with 1 worker, ${tmpfsParallel.perInstanceMs.toFixed(1)} ms with ${cores} (${tmpfsSingle.verified}/${tmpfsParallel.verified} verified) → ${(single.perInstanceMs / tmpfsSingle.perInstanceMs).toFixed(2)}× and ${(parallel.perInstanceMs / tmpfsParallel.perInstanceMs).toFixed(2)}× faster than on the disk`,
        );
      } finally {
        rmSync(memory, { recursive: true, force: true });
      }
    }

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
