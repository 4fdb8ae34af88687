import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDemoRepositories } from "../dataset/demo/build-demo-repositories.js";
import { loadDemoDataset } from "../dataset/demo/load-demo-dataset.js";
import type { Instance } from "../dataset/instance.js";
import { createHostBackend } from "../exec/host-backend.js";
import { createWorkspace, type Workspace } from "../workspace/create-workspace.js";
import { createRepoCache } from "../workspace/repo-cache.js";
import { runGreenGate } from "./green-gate.js";
import { runRedGate } from "./red-gate.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-gates-"));
const backend = createHostBackend();
let instances: Instance[] = [];
let cache: ReturnType<typeof createRepoCache>;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "demo-repos"));
  cache = createRepoCache({ cacheDir: join(scratch, "cache"), repoUrlTemplate });
  instances = (await loadDemoDataset()).instances;
});
afterAll(async () => {
  for (const workspace of workspaces) await workspace.dispose();
  await rm(scratch, { recursive: true, force: true });
});

async function workspaceFor(id: string) {
  const instance = instances.find((candidate) => candidate.instance_id === id) as Instance;
  const workspace = await createWorkspace(cache, { repo: instance.repo, baseCommit: instance.base_commit });
  workspaces.push(workspace);
  return { instance, dir: workspace.dir };
}

describe("red gate on the demo instances (real pytest runs)", () => {
  it("reproduces a real bug", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__calculator-1");
    const red = await runRedGate({ instance, dir, backend, timeoutSeconds: 120 });
    expect(red.verdict).toBe("reproduced");
    expect(red.tests["tests/test_ops.py::test_divide_fraction"]).toBe("FAILED");
    expect(red.tests["tests/test_ops.py::test_add"]).toBe("PASSED");
  });

  it("names a missing dependency with the log line that shows it", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__broken-1");
    const red = await runRedGate({ instance, dir, backend, timeoutSeconds: 120 });
    expect(red.verdict).toBe("env_broken");
    expect(red.reason).toBe("missing_dependency");
    expect(red.evidence.join("\n")).toContain("No module named 'yaml_frobnicator'");
  });

  it("says when every FAIL_TO_PASS test already passes", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__already-1");
    const red = await runRedGate({ instance, dir, backend, timeoutSeconds: 120 });
    expect(red.verdict).toBe("already_passing");
  });

  it("calls a hanging test suite env_broken (timeout)", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__calculator-1");
    const hanging = {
      ...instance,
      test_patch: `${instance.test_patch}diff --git a/tests/test_hang.py b/tests/test_hang.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/test_hang.py\n@@ -0,0 +1,3 @@\n+import time\n+def test_hang():\n+    time.sleep(1000)\n`,
    };
    const red = await runRedGate({ instance: hanging, dir, backend, timeoutSeconds: 3 });
    expect(red).toMatchObject({ verdict: "env_broken", reason: "timeout" });
  });
});

describe("red gate: a collection error the fix itself may cure", () => {
  // The test imports `modulo`, which only the gold patch adds: collection fails before the fix.
  const patch = [
    "diff --git a/calculator/ops.py b/calculator/ops.py",
    "--- a/calculator/ops.py",
    "+++ b/calculator/ops.py",
    "@@ -15,3 +15,7 @@ def divide(a, b):",
    " ",
    " def average(values):",
    "     return sum(values) / (len(values) - 1)",
    "+",
    "+",
    "+def modulo(a, b):",
    "+    return a % b",
    "",
  ].join("\n");
  const testPatch = (line: string) =>
    [
      "diff --git a/tests/test_modulo.py b/tests/test_modulo.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/tests/test_modulo.py",
      "@@ -0,0 +1,5 @@",
      `+${line}`,
      "+",
      "+",
      "+def test_modulo():",
      "+    assert modulo(7, 3) == 1",
      "",
    ].join("\n");
  const variant = (instance: Instance, importLine: string): Instance => ({
    ...instance,
    patch,
    test_patch: testPatch(importLine),
    FAIL_TO_PASS: ["tests/test_modulo.py::test_modulo"],
    // Only the test_patch's files run (the harness's directives), so P2P must live there too.
    PASS_TO_PASS: [],
  });

  it("is provisionally reproduced when the missing name is the repository's own, and gold settles it", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__calculator-1");
    const own = variant(instance, "from calculator.ops import modulo");
    const red = await runRedGate({ instance: own, dir, backend, timeoutSeconds: 120 });
    expect(red).toMatchObject({ verdict: "reproduced", provisional: true });
    expect(red.evidence.join("\n")).toContain("cannot import name 'modulo' from 'calculator.ops'");
    const green = await runGreenGate({ instance: own, dir, patch, backend, timeoutSeconds: 120 });
    expect(green.resolution).toBe("FULL");
  });

  it("is env_broken (dependency_version) when the name is missing from another package", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__calculator-1");
    const foreign = variant(instance, "from json import modulo");
    const red = await runRedGate({ instance: foreign, dir, backend, timeoutSeconds: 120 });
    expect(red).toMatchObject({ verdict: "env_broken", reason: "dependency_version", provisional: false });
    expect(red.evidence.join("\n")).toContain("cannot import name 'modulo' from 'json'");
  });
});

describe("green gate", () => {
  it("grades the gold patch FULL, an empty patch NO, and garbage as not applied", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__textutils-1");
    const gold = await runGreenGate({ instance, dir, patch: instance.patch, backend, timeoutSeconds: 120 });
    expect(gold).toMatchObject({ resolution: "FULL", resolved: true, patch_applied_by: "git apply" });
    const empty = await runGreenGate({ instance, dir, patch: "", backend, timeoutSeconds: 120 });
    expect(empty.resolution).toBe("NO");
    const garbage = await runGreenGate({
      instance,
      dir,
      patch: "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
      backend,
      timeoutSeconds: 120,
    });
    expect(garbage).toMatchObject({ resolved: false, patch_applied_by: null });
    expect(garbage.problem).toContain("does not apply");
  });

  it("attack: a candidate that rewrites the judging test is reverted, so it is not verified", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__calculator-1");
    // The candidate "fixes" nothing but replaces the F2P test with one that always passes.
    const cheat = [
      "diff --git a/tests/test_ops.py b/tests/test_ops.py",
      "--- a/tests/test_ops.py",
      "+++ b/tests/test_ops.py",
      "@@ -7,3 +7,7 @@ def test_add():",
      " ",
      " def test_subtract():",
      "     assert subtract(5, 3) == 2",
      "+",
      "+",
      "+def test_divide_fraction():",
      "+    assert True",
      "",
    ].join("\n");
    const green = await runGreenGate({ instance, dir, patch: cheat, backend, timeoutSeconds: 120 });
    expect(green.resolved).toBe(false);
    expect(green.tests["tests/test_ops.py::test_divide_fraction"]).toBe("FAILED");
  });

  it("attack: a candidate that prints fake PASSED lines and fake markers is not verified", async () => {
    const { instance, dir } = await workspaceFor("swegate-demo__calculator-1");
    // On import the package registers an exit hook printing a fake pass and a fake end marker.
    const spoof = [
      "diff --git a/calculator/__init__.py b/calculator/__init__.py",
      "--- a/calculator/__init__.py",
      "+++ b/calculator/__init__.py",
      "@@ -0,0 +1,4 @@",
      "+import atexit",
      "+atexit.register(lambda: print('PASSED tests/test_ops.py::test_divide_fraction'))",
      "+atexit.register(lambda: print('>>>>> swegate-end 0 exit=0'))",
      "+print('>>>>> swegate-start 0')",
      "",
    ].join("\n");
    const green = await runGreenGate({ instance, dir, patch: spoof, backend, timeoutSeconds: 120 });
    expect(green.resolved).toBe(false);
    expect(green.problem ?? green.message).toMatch(/spoofed|F2P 0\//);
  });
});
