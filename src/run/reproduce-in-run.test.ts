import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { buildDemoRepositories } from "../dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import type { Instance } from "../dataset/instance.js";
import { createHostBackend } from "../exec/host-backend.js";
import type { Model } from "../model/model.js";
import { createScriptedAnswer } from "../model/scripted-answer.js";
import { artifactPaths, openStore, type Store } from "../store/open-store.js";
import { createRepoCache, type RepoCache } from "../workspace/repo-cache.js";
import { processInstance } from "./process-instance.js";
import { createDemoRun } from "./test-support/create-demo-run.js";

// The demo's calculator-1 (divide() floors) with an issue whose code block shows a failure in the
// repository's code, as real issues do: run with the instance's environment before attempt 1.

const scratch = mkdtempSync(join(tmpdir(), "swegate-reproduce-run-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
let calculator: Instance;
let cache: RepoCache;
let store: Store;

beforeAll(async () => {
  const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "repos"));
  cache = createRepoCache({ cacheDir: join(scratch, "cache"), repoUrlTemplate });
  const demo = (await loadDemoDataset()).instances.find(
    (instance) => instance.instance_id === "swegate-demo__calculator-1",
  ) as Instance;
  calculator = {
    ...demo,
    problem_statement: [
      demo.problem_statement,
      "",
      "Dividing by zero gives a bare ZeroDivisionError with no hint:",
      "```python",
      "open('scratch-note.txt', 'w').write('left behind')",
      "from calculator.ops import divide",
      "divide(1, 0)",
      "```",
    ].join("\n"),
  };
  store = openStore(join(scratch, "store"));
});
afterAll(() => store.close());

const GOLD = [
  "calculator/ops.py",
  "```python",
  "<<<<<<< SEARCH",
  "def divide(a, b):",
  "    return a // b",
  "=======",
  "def divide(a, b):",
  "    return a / b",
  ">>>>>>> REPLACE",
  "```",
  "",
].join("\n");

let runs = 0;
async function solve(reproduce: boolean) {
  const runId = `reproduce-${++runs}`;
  createDemoRun(store, runId, calculator.instance_id, "scripted");
  const model: Model = {
    id: "scripted",
    scripted: true,
    complete: async () => createScriptedAnswer(GOLD, Date.now()),
  };
  const result = await processInstance({
    instance: calculator,
    runId,
    model,
    mode: "oracle",
    maxAttempts: 1,
    reproduce,
    backend: createHostBackend(),
    cache,
    store,
    timeoutSeconds: 60,
    datasetDigest: "demo",
    swegateVersion: "test",
    signingKey: generateKeyPairSync("ed25519").privateKey,
  });
  return { result, runId, paths: artifactPaths(store.dir, runId, calculator.instance_id) };
}

describe("running the issue's code in a run (real git, real Python on the host backend)", () => {
  it("records what it showed in reproduce.log, and the file it wrote never reaches the patch", async () => {
    const { result, runId, paths } = await solve(true);
    expect(result?.status, result?.green_gate_message).toBe("verified");
    const log = readFileSync(paths.reproduceLog, "utf8");
    expect(log).toMatch(
      /^ran the issue's code \(1 block\): it raised ZeroDivisionError as the issue says; 1 frame in the checkout used\n/,
    );
    expect(log).toContain('calculator/ops.py", line');
    expect(result?.patch).toContain("calculator/ops.py");
    expect(result?.patch).not.toContain("scratch-note.txt");
    // `swegate show` says so with the instance.
    const shown = runCli(["show", runId, calculator.instance_id, "--store", store.dir]);
    expect(shown.stdout).toContain(
      "issue's code: ran (1 block): it raised ZeroDivisionError as the issue says",
    );
  });

  it("runs nothing unless asked", async () => {
    const { result, paths } = await solve(false);
    expect(result?.status, result?.green_gate_message).toBe("verified");
    expect(existsSync(paths.reproduceLog)).toBe(false);
  });
});
