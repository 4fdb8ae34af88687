import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyDisjointPatches, applyPatch, resetPatchFiles, resetToBase } from "./apply-patch.js";
import { createWorkspace } from "./create-workspace.js";
import { diffWorkspace } from "./diff-workspace.js";
import { listPatchPaths } from "./snapshot-paths.js";
import { makeCache, removeCleanups } from "./test-support/make-cache.js";
import { commitFiles } from "./test-support/make-git-repo.js";

afterEach(removeCleanups);

const lines = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `line${from + i}\n`).join("");
const base = { "a.py": lines(1, 30), "b.py": "x\n", ".gitignore": "*.egg-info/\n" };
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" });

async function workspaceAt(files: Record<string, string> = base) {
  const { source, cache } = makeCache(files);
  const workspace = await createWorkspace(cache, {
    repo: "acme/widget",
    baseCommit: source.commit,
    reuse: false,
  });
  return { workspace, source, dir: workspace.dir };
}

const changeB = "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-x\n+y\n";
// Context lines differ slightly from the file: only `patch --fuzz` accepts this hunk.
const driftedA = [
  "diff --git a/a.py b/a.py",
  "--- a/a.py",
  "+++ b/a.py",
  "@@ -10,7 +10,7 @@",
  " lineX7",
  " line8",
  " line9",
  "-line10",
  "+fixed10",
  " line11",
  " line12",
  " lineY13",
  "",
].join("\n");

describe("applyPatch", () => {
  it("applies with plain git apply, and diffWorkspace round-trips new, deleted, binary and mode changes", async () => {
    const { dir, workspace } = await workspaceAt({ ...base, "old.py": "gone\n", "run.sh": "echo\n" });
    writeFileSync(join(dir, "a.py"), base["a.py"].replace("line5\n", "changed5\n"));
    mkdirSync(join(dir, "new"));
    writeFileSync(join(dir, "new/file.py"), "x = 1\n");
    writeFileSync(join(dir, "logo.bin"), Buffer.from([0, 1, 2, 255, 0, 10]));
    execFileSync("rm", [join(dir, "old.py")]);
    chmodSync(join(dir, "run.sh"), 0o755);
    const patch = await diffWorkspace(dir, workspace.baseCommit);
    expect(patch).toContain("new file mode");
    expect(patch).toContain("GIT binary patch");
    expect(git(dir, "diff", "--cached")).toBe(""); // the workspace's own index is untouched
    await resetToBase(dir, workspace.baseCommit);
    expect(existsSync(join(dir, "new/file.py"))).toBe(false);
    expect(await applyPatch(dir, patch)).toMatchObject({ ok: true, method: "git apply" });
    expect(readFileSync(join(dir, "new/file.py"), "utf8")).toBe("x = 1\n");
    expect([...readFileSync(join(dir, "logo.bin"))]).toEqual([0, 1, 2, 255, 0, 10]);
    expect(statSync(join(dir, "run.sh")).mode & 0o111).not.toBe(0);
    expect(await diffWorkspace(dir, workspace.baseCommit)).toBe(patch);
  });

  it("treats an empty patch as applied with method empty", async () => {
    const { dir } = await workspaceAt();
    expect(await applyPatch(dir, "  \n")).toEqual({ ok: true, method: "empty", output: "" });
  });

  it("uses --3way for a patch made on an older version whose neighbouring lines changed since, leaving nothing staged", async () => {
    const { source, cache } = makeCache(base);
    // The patch is made at the first commit; then line12 changes in a later commit, the workspace's base.
    writeFileSync(join(source.dir, "a.py"), base["a.py"].replace("line10\n", "fixed10\n"));
    const patch = git(source.dir, "diff", "--full-index");
    git(source.dir, "checkout", "-q", "a.py");
    const later = commitFiles(source.dir, { "a.py": base["a.py"].replace("line12\n", "other12\n") }, "later");
    const workspace = await createWorkspace(cache, { repo: "acme/widget", baseCommit: later, reuse: false });
    const result = await applyPatch(workspace.dir, patch);
    expect(result).toMatchObject({ ok: true, method: "git apply --3way" });
    const text = readFileSync(join(workspace.dir, "a.py"), "utf8");
    expect(text).toContain("fixed10\n");
    expect(text).toContain("other12\n");
    expect(git(workspace.dir, "diff", "--cached")).toBe("");
  });

  it("undoes the partial work of --reject (applied hunks, .rej files) before patch --fuzz applies everything once", async () => {
    const { dir } = await workspaceAt();
    const result = await applyPatch(dir, changeB + driftedA);
    expect(result).toMatchObject({ ok: true, method: "patch --fuzz=5" });
    expect(readFileSync(join(dir, "b.py"), "utf8")).toBe("y\n");
    expect(readFileSync(join(dir, "a.py"), "utf8")).toContain("fixed10\n");
    // No leftovers of failed tries nor fuzz backups.
    expect(readdirSync(dir).filter((name) => /\.(rej|orig)$/.test(name))).toEqual([]);
  });

  it("reports every try when nothing applies, and leaves earlier changes, untracked and ignored files alone", async () => {
    const { dir, workspace } = await workspaceAt();
    writeFileSync(join(dir, "a.py"), base["a.py"].replace("line1\n", "mine1\n"));
    writeFileSync(join(dir, "untracked.py"), "keep = True\n");
    mkdirSync(join(dir, "pkg.egg-info"));
    writeFileSync(join(dir, "pkg.egg-info", "PKG-INFO"), "built\n");
    const before = await diffWorkspace(dir, workspace.baseCommit);
    const hopeless =
      changeB +
      driftedA.replaceAll("line", "nothing") +
      "diff --git a/c/new.py b/c/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/c/new.py\n@@ -0,0 +1 @@\n+new\n";
    const result = await applyPatch(dir, hopeless);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.tries.map((entry) => entry.method)).toEqual([
      "git apply",
      "git apply --3way",
      "git apply --reject",
      "patch --fuzz=5",
    ]);
    expect(result.reason).toMatch(/^no method in the chain applied the patch/);
    expect(await diffWorkspace(dir, workspace.baseCommit)).toBe(before);
    expect(readFileSync(join(dir, "b.py"), "utf8")).toBe("x\n");
    expect(existsSync(join(dir, "c"))).toBe(false);
    expect(readFileSync(join(dir, "pkg.egg-info", "PKG-INFO"), "utf8")).toBe("built\n");
    expect(git(dir, "status", "--porcelain")).toBe(" M a.py\n?? untracked.py\n");
  });

  it("returns a reason for text that is not a patch", async () => {
    const { dir } = await workspaceAt();
    const result = await applyPatch(dir, "I fixed it, trust me.\n");
    expect(result.ok).toBe(false);
  });
});

describe("applyDisjointPatches", () => {
  const changeA =
    "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n-line1\n+first\n line2\n";
  const newTest =
    "diff --git a/tests/test_new.py b/tests/test_new.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/test_new.py\n@@ -0,0 +1 @@\n+def test_new(): pass\n";

  it("applies two patches on different files in one go, exactly as one after the other", async () => {
    const together = await workspaceAt();
    expect(await applyDisjointPatches(together.dir, changeA, newTest)).toBe(true);
    const apart = await workspaceAt();
    await applyPatch(apart.dir, changeA);
    await applyPatch(apart.dir, newTest);
    for (const path of ["a.py", "b.py", "tests/test_new.py"])
      expect(readFileSync(join(together.dir, path), "utf8")).toBe(
        readFileSync(join(apart.dir, path), "utf8"),
      );
    expect(git(together.dir, "status", "--porcelain")).toBe(git(apart.dir, "status", "--porcelain"));
  });

  it("changes nothing when either patch does not apply cleanly, or when both touch one file", async () => {
    const { dir } = await workspaceAt();
    expect(await applyDisjointPatches(dir, changeA, driftedA.replace(/a\.py/g, "b.py"))).toBe(false);
    expect(await applyDisjointPatches(dir, changeA, driftedA)).toBe(false); // same file: not even tried
    expect(await applyDisjointPatches(dir, changeB.replace("-x", "-nope"), newTest)).toBe(false);
    expect(git(dir, "status", "--porcelain", "--ignored")).toBe("");
  });
});

describe("resetPatchFiles and resetToBase", () => {
  it("restores modified files to base and deletes created ones", async () => {
    const { dir, workspace } = await workspaceAt({
      ...base,
      "tests/test_a.py": "def test_a():\n    assert True\n",
    });
    writeFileSync(join(dir, "tests/test_a.py"), "def test_a():\n    assert 1\n");
    writeFileSync(join(dir, "tests/test_new.py"), "def test_new():\n    pass\n");
    writeFileSync(join(dir, "a.py"), "candidate change\n");
    const testPatch = await diffWorkspace(dir, workspace.baseCommit);
    writeFileSync(join(dir, "b.py"), "candidate\n");
    await resetPatchFiles(
      dir,
      workspace.baseCommit,
      testPatch.replace(/diff --git a\/a\.py[\s\S]*?(?=diff --git)/, ""),
    );
    expect(readFileSync(join(dir, "tests/test_a.py"), "utf8")).toContain("assert True");
    expect(existsSync(join(dir, "tests/test_new.py"))).toBe(false);
    expect(readFileSync(join(dir, "a.py"), "utf8")).toBe("candidate change\n");
    await resetToBase(dir, workspace.baseCommit);
    expect(git(dir, "status", "--porcelain", "--ignored")).toBe("");
  });

  it("reads file names from diff --git and from ---/+++ headers, not from hunk lines that look like headers", () => {
    const plain =
      "--- a/x/y.py\t2020-01-01\n+++ b/x/y.py\n@@ -1,3 +1,3 @@\n--- a/fake.py\n+++ b/fake.py\n context\n";
    expect(listPatchPaths(plain)).toEqual(["x/y.py"]);
    expect(listPatchPaths(changeB)).toEqual(["b.py"]);
  });
});
