// Gate overhead: swegate's red + green gate wall time divided by the raw work they stand for — the
// same two test commands with the patches applied by plain git — on the demo instances, in one run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDemoRepositories } from "../src/dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../src/dataset/demo/load-demo-dataset.js";
import type { Instance } from "../src/dataset/instance.js";
import { controlledEnvironment, createHostBackend } from "../src/exec/host-backend.js";
import { runGreenGate } from "../src/grading/green-gate.js";
import { runRedGate } from "../src/grading/red-gate.js";
import { testCommand } from "../src/specs/test-directives.js";
import { createWorkspace } from "../src/workspace/create-workspace.js";
import { createRepoCache } from "../src/workspace/repo-cache.js";

const ROUNDS = 3;

const milliseconds = async (task: () => unknown): Promise<number> => {
  const started = performance.now();
  await task();
  return performance.now() - started;
};

/** The raw equivalent of both gates: reset, apply by git, run the test command; nothing else. */
function runRaw(instance: Instance, dir: string): void {
  for (const patch of ["", instance.patch]) {
    execFileSync("git", ["reset", "-q", "--hard", instance.base_commit], { cwd: dir });
    execFileSync("git", ["clean", "-qfdx"], { cwd: dir });
    if (patch) execFileSync("git", ["apply", "-"], { cwd: dir, input: patch });
    execFileSync("git", ["apply", "-"], { cwd: dir, input: instance.test_patch });
    try {
      execFileSync("bash", ["-c", testCommand(instance)], {
        cwd: dir,
        stdio: "ignore",
        env: controlledEnvironment(dir, undefined),
      });
    } catch {
      // Tests fail before the fix: that is the point of the red gate.
    }
  }
}

/** Returns printable lines: the overhead ratio (goal ≤ 1.10) and the two totals it comes from. */
export async function benchGates(): Promise<string[]> {
  const scratch = mkdtempSync(join(tmpdir(), "swegate-bench-gates-"));
  try {
    const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "repos"));
    const cache = createRepoCache({ cacheDir: join(scratch, "cache"), repoUrlTemplate });
    const backend = createHostBackend();
    // The instances where both gates run (a broken or already-passing one stops at the red gate).
    const instances = (await loadDemoDataset()).instances.filter(
      (instance) => !/broken|already/.test(instance.instance_id),
    );
    let gates = 0;
    let raw = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const instance of instances) {
        const workspace = await createWorkspace(cache, {
          repo: instance.repo,
          baseCommit: instance.base_commit,
        });
        try {
          const dir = workspace.dir;
          // Alternate which goes first so neither always gets the warmer file cache.
          const measureGates = async () =>
            (gates += await milliseconds(async () => {
              await runRedGate({ instance, dir, backend, timeoutSeconds: 600 });
              await runGreenGate({ instance, dir, patch: instance.patch, backend, timeoutSeconds: 600 });
            }));
          const measureRaw = async () => (raw += await milliseconds(() => runRaw(instance, dir)));
          if (round % 2 === 0) {
            await measureGates();
            await measureRaw();
          } else {
            await measureRaw();
            await measureGates();
          }
        } finally {
          await workspace.dispose();
        }
      }
    }
    return [
      `gates: red+green on ${instances.length} demo instances ×${ROUNDS}: swegate ${gates.toFixed(0)} ms vs raw test commands ${raw.toFixed(0)} ms → overhead ratio ${(gates / raw).toFixed(2)} (goal ≤ 1.10)`,
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) for (const line of await benchGates()) console.log(line);
