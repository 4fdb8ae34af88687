import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyPatch, resetPatchFiles, resetToBase } from "./apply-patch.js";
import { createWorkspace } from "./create-workspace.js";
import { diffWorkspace } from "./diff-workspace.js";
import { createRepoCache } from "./repo-cache.js";
import { commitFiles, makeGitRepo } from "./test-support/make-git-repo.js";

const cleanups: string[] = [];
afterEach(async () => {
  for (const dir of cleanups.splice(0)) await rm(dir, { recursive: true, force: true });
});

function setup(
  files: Record<string, string> = { "pkg/mod.py": "def f():\n    return 1\n", "README.md": "hi\n" },
) {
  const source = makeGitRepo(files);
  const cacheDir = mkdtempSync(join(tmpdir(), "swegate-cache-"));
  cleanups.push(source.dir, cacheDir);
  // A template without placeholders maps every repository to the one source folder built here.
  const cache = createRepoCache({ cacheDir, repoUrlTemplate: source.dir });
  return { source, cache, cacheDir };
}

describe("repository cache and workspaces", () => {
  it("checks out base, fetches a commit made after the first clone, and pools clean checkouts after dispose", async () => {
    const { source, cache } = setup();
    const first = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    expect(readFileSync(join(first.dir, "pkg/mod.py"), "utf8")).toContain("return 1");
    const later = commitFiles(source.dir, { "pkg/mod.py": "def f():\n    return 2\n" }, "later");
    const second = await createWorkspace(cache, { repo: "acme/widget", baseCommit: later });
    expect(readFileSync(join(second.dir, "pkg/mod.py"), "utf8")).toContain("return 2");
    await first.dispose();
    await second.dispose();
    expect(existsSync(first.dir)).toBe(false);
    const list = execFileSync("git", ["worktree", "list"], {
      cwd: cache.mirrorPath("acme/widget"),
      encoding: "utf8",
    });
    // The mirror itself plus the two disposed checkouts, idle in the pool.
    const worktrees = list.trim().split("\n").slice(1);
    expect(worktrees).toHaveLength(2);
    expect(worktrees.every((line) => line.includes("-pool-"))).toBe(true);
    // A pooled checkout is reused, clean, at the requested commit.
    const reused = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    expect(readFileSync(join(reused.dir, "pkg/mod.py"), "utf8")).toContain("return 1");
    writeFileSync(join(reused.dir, "stray.txt"), "x");
    await reused.dispose();
    const again = await createWorkspace(cache, { repo: "acme/widget", baseCommit: later });
    expect(readFileSync(join(again.dir, "pkg/mod.py"), "utf8")).toContain("return 2");
    expect(existsSync(join(again.dir, "stray.txt"))).toBe(false);
    await again.dispose();
  });

  it("serves many concurrent requests for one repository from one mirror", async () => {
    const { source, cache } = setup();
    const workspaces = await Promise.all(
      Array.from({ length: 6 }, () =>
        createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit }),
      ),
    );
    expect(new Set(workspaces.map((workspace) => workspace.dir)).size).toBe(6);
    await Promise.all(workspaces.map((workspace) => workspace.dispose()));
  });

  it("works when two processes clone the same repository at once", async () => {
    const { source, cacheDir } = setup();
    const script = `
      import { createRepoCache } from "./src/workspace/repo-cache.ts";
      import { createWorkspace } from "./src/workspace/create-workspace.ts";
      const cache = createRepoCache({ cacheDir: ${JSON.stringify(cacheDir)}, repoUrlTemplate: ${JSON.stringify(source.dir)} });
      const workspace = await createWorkspace(cache, { repo: "acme/widget", baseCommit: ${JSON.stringify(source.commit)} });
      await workspace.dispose();
      console.log("ok");
    `;
    const spawnOne = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
          cwd: join(import.meta.dirname, "..", ".."),
        });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk));
        child.stderr.on("data", (chunk: Buffer) => (out += chunk));
        child.on("close", () => resolve(out));
      });
    const outputs = await Promise.all([spawnOne(), spawnOne()]);
    expect(outputs.map((output) => output.trim())).toEqual(["ok", "ok"]);
  });

  it("removes the workspaces of a crashed process and a stale lock on the next use", async () => {
    const { source, cache, cacheDir } = setup();
    const workspace = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    // Simulate a crash: a worktree registered under a dead pid, and a lock file held by that pid.
    const dead = spawnSync("true").pid ?? 999999;
    const orphan = join(cacheDir, "workspaces", `acme__widget-${dead}-deadbeef`);
    execFileSync("git", ["worktree", "add", "--detach", "-q", orphan, source.commit], {
      cwd: cache.mirrorPath("acme/widget"),
    });
    writeFileSync(`${cache.mirrorPath("acme/widget")}.lock`, String(dead));
    const next = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    expect(existsSync(orphan)).toBe(false);
    const list = execFileSync("git", ["worktree", "list"], {
      cwd: cache.mirrorPath("acme/widget"),
      encoding: "utf8",
    });
    expect(list).not.toContain("deadbeef");
    await workspace.dispose();
    await next.dispose();
  });

  it("names the repository and URL when a commit does not exist", async () => {
    const { cache } = setup();
    await expect(createWorkspace(cache, { repo: "acme/widget", baseCommit: "0".repeat(40) })).rejects.toThrow(
      /acme\/widget/,
    );
  });
});

describe("patch application chain", () => {
  const base = { "a.py": Array.from({ length: 30 }, (_, i) => `line${i}\n`).join("") };

  async function workspaceWith(files: Record<string, string> = base) {
    const { source, cache } = setup(files);
    const workspace = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    return { workspace, source };
  }

  it("applies a clean patch with plain git apply and round-trips through diffWorkspace", async () => {
    const { workspace } = await workspaceWith();
    writeFileSync(join(workspace.dir, "a.py"), base["a.py"].replace("line5\n", "changed5\n"));
    mkdirSync(join(workspace.dir, "new"), { recursive: true });
    writeFileSync(join(workspace.dir, "new/file.py"), "x = 1\n");
    const patch = await diffWorkspace(workspace.dir, workspace.baseCommit);
    expect(patch).toContain("new file mode");
    await resetToBase(workspace.dir, workspace.baseCommit);
    expect(existsSync(join(workspace.dir, "new/file.py"))).toBe(false);
    const result = await applyPatch(workspace.dir, patch);
    expect(result).toMatchObject({ ok: true, method: "git apply" });
    expect(readFileSync(join(workspace.dir, "new/file.py"), "utf8")).toBe("x = 1\n");
    expect(await diffWorkspace(workspace.dir, workspace.baseCommit)).toBe(patch);
    await workspace.dispose();
  });

  it("falls back to patch --fuzz when the context drifted, and reports every try when nothing applies", async () => {
    const { workspace } = await workspaceWith();
    // Context lines differ slightly from the file: git apply refuses, fuzz accepts.
    const drifted = [
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
    const fuzzy = await applyPatch(workspace.dir, drifted);
    expect(fuzzy).toMatchObject({ ok: true, method: "patch --fuzz=5" });
    expect(readFileSync(join(workspace.dir, "a.py"), "utf8")).toContain("fixed10\n");
    await resetToBase(workspace.dir, workspace.baseCommit);
    const hopeless = await applyPatch(workspace.dir, drifted.replaceAll("line", "nothing"));
    expect(hopeless.ok).toBe(false);
    if (!hopeless.ok) expect(hopeless.tries.map((attempt) => attempt.method)).toHaveLength(4);
    // A failed chain leaves the workspace as it was.
    expect(await diffWorkspace(workspace.dir, workspace.baseCommit)).toBe("");
    await workspace.dispose();
  });

  it("keeps changes made before the call when a try fails", async () => {
    const { workspace } = await workspaceWith();
    writeFileSync(join(workspace.dir, "a.py"), base["a.py"].replace("line1\n", "mine1\n"));
    writeFileSync(join(workspace.dir, "untracked.py"), "keep = True\n");
    const failed = await applyPatch(
      workspace.dir,
      "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,1 +1,1 @@\n-zzz\n+yyy\n",
    );
    expect(failed.ok).toBe(false);
    expect(readFileSync(join(workspace.dir, "a.py"), "utf8")).toContain("mine1\n");
    expect(readFileSync(join(workspace.dir, "untracked.py"), "utf8")).toBe("keep = True\n");
    await workspace.dispose();
  });

  it("resetPatchFiles restores modified files and deletes created ones", async () => {
    const { workspace } = await workspaceWith({
      ...base,
      "tests/test_a.py": "def test_a():\n    assert True\n",
    });
    writeFileSync(join(workspace.dir, "tests/test_a.py"), "def test_a():\n    assert 1\n");
    writeFileSync(join(workspace.dir, "tests/test_new.py"), "def test_new():\n    pass\n");
    const testPatch = await diffWorkspace(workspace.dir, workspace.baseCommit);
    await resetPatchFiles(workspace.dir, workspace.baseCommit, testPatch);
    expect(readFileSync(join(workspace.dir, "tests/test_a.py"), "utf8")).toContain("assert True");
    expect(existsSync(join(workspace.dir, "tests/test_new.py"))).toBe(false);
    await workspace.dispose();
  });
});
