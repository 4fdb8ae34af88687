import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Instance } from "../instance.js";
import { buildDemoRepositories } from "./build-demo-repositories.js";
import { DEMO_INSTANCES, DEMO_REPOSITORIES } from "./demo-sources.js";
import { loadDemoDataset } from "./load-demo-dataset.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-demo-test-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));
const demo = await loadDemoDataset();
const byId = (id: string) => demo.instances.find((instance) => instance.instance_id === id) as Instance;
const hasPytest = spawnSync("python3", ["-m", "pytest", "--version"]).status === 0;

describe("the demo dataset", () => {
  it("loads and validates: five instances, pytest ids, version 0.1, scripted answers", () => {
    expect(demo.source).toBe("demo");
    expect(demo.instances.map((instance) => instance.instance_id).sort()).toEqual([
      "swegate-demo__already-1",
      "swegate-demo__broken-1",
      "swegate-demo__calculator-1",
      "swegate-demo__calculator-2",
      "swegate-demo__textutils-1",
    ]);
    for (const instance of demo.instances) {
      expect(instance.repo).toMatch(/^swegate-demo\/(calculator|textutils)$/);
      expect(instance.version).toBe("0.1");
      expect(instance.problem_statement.length).toBeGreaterThan(20);
      for (const test of [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS])
        expect(test).toMatch(/^tests\/test_\w+\.py::test_\w+$/);
      const answers = instance.extra.demo_answers as string[];
      expect(answers).toHaveLength(instance.instance_id === "swegate-demo__calculator-2" ? 2 : 1);
      for (const answer of answers) expect(parseSearchReplace(answer).length).toBeGreaterThan(0);
    }
    expect(patchedFiles(byId("swegate-demo__textutils-1").patch)).toEqual([
      "textutils/normalize.py",
      "textutils/slug.py",
    ]);
    expect(patchedFiles(byId("swegate-demo__calculator-1").patch)).toEqual(["calculator/ops.py"]);
    // The shipped rows are generated from demo-sources.ts: they must not drift apart.
    expect(DEMO_INSTANCES.map((instance) => instance.instance_id).sort()).toEqual(
      demo.instances.map((instance) => instance.instance_id).sort(),
    );
  });

  it("builds bare repositories whose commits are the dataset's base commits, the same every time", () => {
    const first = buildDemoRepositories(join(scratch, "first"));
    const second = buildDemoRepositories(join(scratch, "second"));
    expect(second.commits).toEqual(first.commits);
    expect(Object.keys(first.commits).sort()).toEqual(DEMO_REPOSITORIES.map(({ repo }) => repo).sort());
    for (const instance of demo.instances) {
      expect(instance.base_commit).toBe(first.commits[instance.repo]);
      const bare = repositoryPath(first.repoUrlTemplate, instance.repo);
      expect(git(bare, "cat-file", "-t", instance.base_commit)).toBe("commit");
      expect(git(bare, "rev-parse", "--is-bare-repository")).toBe("true");
    }
    // Idempotent: a second build in the same folder keeps what is there.
    expect(buildDemoRepositories(join(scratch, "first"))).toEqual(first);
  });

  it("rebuilds a demo repository whose commit is not the shipped one", () => {
    const dir = join(scratch, "stale");
    const { repoUrlTemplate, commits } = buildDemoRepositories(dir);
    const bare = repositoryPath(repoUrlTemplate, "swegate-demo/calculator");
    const tree = git(bare, "rev-parse", "HEAD^{tree}");
    const stale = git(bare, "commit-tree", tree, "-m", "stale");
    git(bare, "update-ref", "HEAD", stale);
    expect(buildDemoRepositories(dir).commits).toEqual(commits);
  });
});

describe.skipIf(!hasPytest)("the demo instances under pytest (needs python3 -m pytest)", () => {
  const { repoUrlTemplate } = buildDemoRepositories(join(scratch, "repos"));

  // [F2P passes before the fix, F2P and P2P pass after the gold patch]
  const expected: Record<string, [boolean, boolean]> = {
    "swegate-demo__calculator-1": [false, true],
    "swegate-demo__calculator-2": [false, true],
    "swegate-demo__textutils-1": [false, true],
    "swegate-demo__already-1": [true, true],
    "swegate-demo__broken-1": [false, false],
  };
  it.each(Object.entries(expected))("%s: F2P before the gold patch, F2P+P2P after: %j", (id, outcome) => {
    const instance = byId(id);
    const work = checkout(instance, repoUrlTemplate);
    applyDiff(work, instance.test_patch);
    const before = runTests(work, instance.FAIL_TO_PASS).passed;
    applyDiff(work, instance.patch);
    const after = runTests(work, [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS]).passed;
    expect([before, after]).toEqual(outcome);
    if (id === "swegate-demo__broken-1") expect(runTests(work, instance.PASS_TO_PASS).passed).toBe(true);
  });

  it("broken-1 fails for a missing module, whatever the fix", () => {
    const instance = byId("swegate-demo__broken-1");
    const work = checkout(instance, repoUrlTemplate);
    applyDiff(work, instance.test_patch);
    applyDiff(work, instance.patch);
    expect(runTests(work, instance.FAIL_TO_PASS).output).toContain(
      "ModuleNotFoundError: No module named 'yaml_frobnicator'",
    );
  });

  it("calculator-2's first scripted answer is wrong (F2P still fails), its second is right", () => {
    const instance = byId("swegate-demo__calculator-2");
    const [wrong, right] = instance.extra.demo_answers as [string, string];
    const work = checkout(instance, repoUrlTemplate);
    applyDiff(work, instance.test_patch);
    applySearchReplace(work, wrong);
    expect(runTests(work, instance.FAIL_TO_PASS).passed).toBe(false);
    git(work, "checkout", "--", "calculator");
    applySearchReplace(work, right);
    expect(runTests(work, [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS]).passed).toBe(true);
  });

  it("every other instance's scripted answer makes F2P pass (broken-1 stays broken)", () => {
    const outcomes = demo.instances
      .filter((instance) => instance.instance_id !== "swegate-demo__calculator-2")
      .map((instance) => {
        const work = checkout(instance, repoUrlTemplate);
        applyDiff(work, instance.test_patch);
        for (const answer of instance.extra.demo_answers as string[]) applySearchReplace(work, answer);
        return [instance.instance_id, runTests(work, instance.FAIL_TO_PASS).passed];
      });
    expect(outcomes.sort()).toEqual([
      ["swegate-demo__already-1", true],
      ["swegate-demo__broken-1", false],
      ["swegate-demo__calculator-1", true],
      ["swegate-demo__textutils-1", true],
    ]);
  });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
}

function repositoryPath(template: string, repo: string): string {
  const [owner, name] = repo.split("/") as [string, string];
  return template.replace("{owner}", owner).replace("{name}", name);
}

let checkouts = 0;
function checkout(instance: Instance, template: string): string {
  checkouts += 1;
  const work = join(scratch, `work-${checkouts}`);
  execFileSync("git", ["clone", "-q", repositoryPath(template, instance.repo), work]);
  git(work, "checkout", "-q", instance.base_commit);
  return work;
}

function applyDiff(work: string, diff: string): void {
  execFileSync("git", ["apply", "-"], { cwd: work, input: diff });
}

function runTests(work: string, tests: string[]): { passed: boolean; output: string } {
  const result = spawnSync("python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", ...tests], {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  return { passed: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

function patchedFiles(diff: string): string[] {
  return [...diff.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((match) => match[1] as string).sort();
}

// The test's own tiny reading of SEARCH/REPLACE (exact string replacement): independent of src/edits.
function parseSearchReplace(answer: string): { path: string; search: string; replace: string }[] {
  const pattern = /^(\S+)\n```python\n<<<<<<< SEARCH\n([\s\S]*?)=======\n([\s\S]*?)>>>>>>> REPLACE\n```/gm;
  return [...answer.matchAll(pattern)].map((match) => ({
    path: match[1] as string,
    search: match[2] as string,
    replace: match[3] as string,
  }));
}

function applySearchReplace(work: string, answer: string): void {
  for (const { path, search, replace } of parseSearchReplace(answer)) {
    const file = join(work, path);
    const text = readFileSync(file, "utf8");
    expect(text, `${path} holds the SEARCH text`).toContain(search);
    writeFileSync(file, text.replace(search, replace));
  }
}
