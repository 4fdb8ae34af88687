// npm run bench — prints figures measured side by side in one run (never asserted in tests).
// Real-repository figures need a folder of mirrors: SWEGATE_BENCH_REPO_URL (e.g. /mirrors/{owner}+{name}/repo),
// SWEGATE_BENCH_REPO (owner/name) and SWEGATE_BENCH_COMMIT; without them that part says what it needs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDemoRepositories } from "../src/dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../src/dataset/demo/load-demo-dataset.js";
import { createHostBackend } from "../src/exec/host-backend.js";
import { runGreenGate } from "../src/grading/green-gate.js";
import { runRedGate } from "../src/grading/red-gate.js";
import { testCommand } from "../src/specs/test-directives.js";
import { createWorkspace } from "../src/workspace/create-workspace.js";
import { createRepoCache } from "../src/workspace/repo-cache.js";
import { benchDataset } from "./dataset-bench.js";
import { benchGrading } from "./grading-bench.js";
import { benchRun } from "./run-bench.js";

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const time = async (task: () => Promise<unknown> | unknown) => {
  const started = performance.now();
  await task();
  return performance.now() - started;
};

async function benchWorkspace(): Promise<void> {
  const template = process.env.SWEGATE_BENCH_REPO_URL;
  const repo = process.env.SWEGATE_BENCH_REPO;
  const commit = process.env.SWEGATE_BENCH_COMMIT;
  if (!template || !repo || !commit) {
    console.log(
      "workspace: skipped — set SWEGATE_BENCH_REPO_URL, SWEGATE_BENCH_REPO and SWEGATE_BENCH_COMMIT to a local mirror (e.g. django/django)",
    );
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), "swegate-bench-"));
  try {
    const cache = createRepoCache({ cacheDir: scratch, repoUrlTemplate: template });
    await (await createWorkspace(cache, { repo, baseCommit: commit })).dispose(); // warm the cache
    const workspaceTimes: number[] = [];
    const cloneTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      let workspace: Awaited<ReturnType<typeof createWorkspace>> | undefined;
      workspaceTimes.push(
        await time(async () => (workspace = await createWorkspace(cache, { repo, baseCommit: commit }))),
      );
      await workspace?.dispose();
      const target = join(scratch, `clone-${round}`);
      cloneTimes.push(
        await time(
          () =>
            execFileSync("git", ["clone", "-q", "--no-checkout", cache.mirrorPath(repo), target]) &&
            execFileSync("git", ["checkout", "-q", commit], { cwd: target }),
        ),
      );
      rmSync(target, { recursive: true, force: true });
    }
    const ws = median(workspaceTimes);
    const clone = median(cloneTimes);
    console.log(
      `workspace: ${repo}@${commit.slice(0, 10)} from a warm cache: worktree ${ws.toFixed(0)} ms vs git clone+checkout ${clone.toFixed(0)} ms (median of 5) → ${(clone / ws).toFixed(1)}× faster`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function benchGateOverhead(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "swegate-bench-gates-"));
  try {
    const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "repos"));
    const cache = createRepoCache({ cacheDir: scratch, repoUrlTemplate });
    const backend = createHostBackend();
    const instances = (await loadDemoDataset()).instances.filter(
      (instance) => !/broken|already/.test(instance.instance_id),
    );
    let gates = 0;
    let raw = 0;
    for (let round = 0; round < 3; round++) {
      for (const instance of instances) {
        const workspace = await createWorkspace(cache, {
          repo: instance.repo,
          baseCommit: instance.base_commit,
        });
        gates += await time(async () => {
          await runRedGate({ instance, dir: workspace.dir, backend, timeoutSeconds: 600 });
          await runGreenGate({
            instance,
            dir: workspace.dir,
            patch: instance.patch,
            backend,
            timeoutSeconds: 600,
          });
        });
        // The raw equivalent: the same two test runs, patches applied by hand with git.
        raw += await time(() => {
          for (const patch of ["", instance.patch]) {
            execFileSync("git", ["reset", "-q", "--hard", instance.base_commit], { cwd: workspace.dir });
            execFileSync("git", ["clean", "-qfdx"], { cwd: workspace.dir });
            if (patch) execFileSync("git", ["apply", "-"], { cwd: workspace.dir, input: patch });
            execFileSync("git", ["apply", "-"], { cwd: workspace.dir, input: instance.test_patch });
            try {
              execFileSync("bash", ["-c", testCommand(instance)], { cwd: workspace.dir, stdio: "ignore" });
            } catch {
              // Failing tests are expected before the fix.
            }
          }
        });
        await workspace.dispose();
      }
    }
    console.log(
      `gates: red+green on ${instances.length} demo instances ×3: swegate ${gates.toFixed(0)} ms vs raw test commands ${raw.toFixed(0)} ms → overhead ratio ${(gates / raw).toFixed(2)} (goal ≤ 1.10)`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

for (const line of await benchDataset()) console.log(line);
for (const line of await benchGrading()) console.log(line);
await benchGateOverhead();
await benchWorkspace();
for (const line of await benchRun()) console.log(line);
