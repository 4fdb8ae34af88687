// npm run bench — prints figures measured side by side in one run (never asserted in tests).
// Real-repository figures need a folder of mirrors: SWEGATE_BENCH_REPO_URL (e.g. /mirrors/{owner}+{name}/repo),
// SWEGATE_BENCH_REPO (owner/name) and SWEGATE_BENCH_COMMIT; without them that part says what it needs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorkspace } from "../src/workspace/create-workspace.js";
import { createRepoCache } from "../src/workspace/repo-cache.js";
import { benchDataset } from "./dataset-bench.js";
import { benchGates } from "./gates-bench.js";
import { benchGrading } from "./grading-bench.js";
import { benchIsolation } from "./isolation-bench.js";
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

for (const line of await benchDataset()) console.log(line);
for (const line of await benchGrading()) console.log(line);
for (const line of await benchGates()) console.log(line);
await benchWorkspace();
for (const line of await benchIsolation()) console.log(line);
for (const line of await benchRun()) console.log(line);
