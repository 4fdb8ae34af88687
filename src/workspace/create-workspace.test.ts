import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createWorkspace, drainWorkspacePool, releaseHeldWorkspaces } from "./create-workspace.js";
import { cleanups, deadPid, makeCache, removeCleanups } from "./test-support/make-cache.js";
import { commitFiles } from "./test-support/make-git-repo.js";
import { listWorktrees } from "./worktrees.js";

afterEach(removeCleanups);

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

describe("createWorkspace", () => {
  it("checks out base with a detached HEAD where git log and git diff work, and dispose leaves no worktree", async () => {
    const { source, cache } = makeCache();
    const later = commitFiles(source.dir, { "pkg/mod.py": "def f():\n    return 2\n" }, "later");
    const workspace = await createWorkspace(cache, {
      repo: "acme/widget",
      baseCommit: source.commit,
      reuse: false,
    });
    expect(readFileSync(join(workspace.dir, "pkg/mod.py"), "utf8")).toContain("return 1");
    expect(git(workspace.dir, "rev-parse", "HEAD")).toBe(source.commit);
    expect(git(workspace.dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("HEAD"); // detached
    // History up to base is there; HEAD's own log does not reach the later commit.
    expect(git(workspace.dir, "log", "--format=%H")).toBe(source.commit);
    writeFileSync(join(workspace.dir, "pkg/mod.py"), "changed\n");
    expect(git(workspace.dir, "diff", "--stat", source.commit)).toContain("pkg/mod.py");
    expect(later).not.toBe(source.commit);
    await workspace.dispose();
    expect(existsSync(workspace.dir)).toBe(false);
    expect(await listWorktrees(cache.mirrorPath("acme/widget"))).toEqual([]);
  });

  it("holds a disposed checkout for this process's next workspace, cleaned and at the new commit", async () => {
    const { source, cache } = makeCache();
    const later = commitFiles(source.dir, { "pkg/mod.py": "def f():\n    return 2\n" }, "later");
    const first = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    writeFileSync(join(first.dir, "stray.txt"), "x");
    mkdirSync(join(first.dir, "build"));
    writeFileSync(join(first.dir, "build", "out.o"), "x");
    writeFileSync(join(first.dir, "pkg/mod.py"), "dirty\n");
    await first.dispose();
    const mirror = cache.mirrorPath("acme/widget");
    expect((await listWorktrees(mirror)).map((worktree) => worktree.dir)).toEqual([first.dir]);
    const reused = await createWorkspace(cache, { repo: "acme/widget", baseCommit: later });
    expect(reused.dir).toBe(first.dir);
    expect(git(reused.dir, "rev-parse", "HEAD")).toBe(later);
    expect(readFileSync(join(reused.dir, "pkg/mod.py"), "utf8")).toContain("return 2");
    expect(existsSync(join(reused.dir, "stray.txt"))).toBe(false);
    expect(existsSync(join(reused.dir, "build"))).toBe(false);
    expect(git(reused.dir, "status", "--porcelain", "--ignored")).toBe("");
    // Two at once: the second one cannot share the held checkout.
    const other = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    expect(other.dir).not.toBe(reused.dir);
    await Promise.all([reused.dispose(), other.dispose()]);
    expect(await drainWorkspacePool(cache, "acme/widget")).toBe(2);
    expect(await listWorktrees(mirror)).toEqual([]);
  });

  it("parks held checkouts in the shared pool on release, where the next workspace takes one", async () => {
    const { source, cache } = makeCache();
    const later = commitFiles(source.dir, { "pkg/mod.py": "def f():\n    return 2\n" }, "later");
    const first = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    writeFileSync(join(first.dir, "pkg/mod.py"), "dirty\n");
    await first.dispose();
    await releaseHeldWorkspaces();
    expect(existsSync(first.dir)).toBe(false);
    const mirror = cache.mirrorPath("acme/widget");
    expect((await listWorktrees(mirror)).map((worktree) => worktree.dir)).toEqual([
      expect.stringMatching(/acme__widget-pool-[0-9a-f]{8}$/),
    ]);
    const reused = await createWorkspace(cache, { repo: "acme/widget", baseCommit: later });
    expect(await listWorktrees(mirror)).toHaveLength(1);
    expect(reused.dir).toMatch(new RegExp(`acme__widget-${process.pid}-[0-9a-f]{8}$`));
    expect(readFileSync(join(reused.dir, "pkg/mod.py"), "utf8")).toContain("return 2");
    expect(git(reused.dir, "status", "--porcelain")).toBe("");
    await reused.dispose();
    expect(await drainWorkspacePool(cache, "acme/widget")).toBe(1);
    expect(await listWorktrees(mirror)).toEqual([]);
  });

  it("fetches a commit the mirror lacks when a held checkout cannot switch to it, and still reuses that checkout", async () => {
    const { source, cache } = makeCache();
    const first = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    writeFileSync(join(first.dir, "leftover.txt"), "x");
    await first.dispose();
    const newer = commitFiles(source.dir, { "pkg/mod.py": "def f():\n    return 3\n" }, "newer"); // not fetched yet
    const next = await createWorkspace(cache, { repo: "acme/widget", baseCommit: newer });
    expect(next.dir).toBe(first.dir);
    expect(git(next.dir, "rev-parse", "HEAD")).toBe(newer);
    expect(readFileSync(join(next.dir, "pkg/mod.py"), "utf8")).toContain("return 3");
    expect(git(next.dir, "status", "--porcelain", "--ignored")).toBe("");
    await next.dispose();
    await drainWorkspacePool(cache, "acme/widget");
    expect(await listWorktrees(cache.mirrorPath("acme/widget"))).toEqual([]);
  });

  it("releases without error when the cache of a held checkout was deleted meanwhile", async () => {
    const gone = makeCache();
    const held = await createWorkspace(gone.cache, { repo: "acme/widget", baseCommit: gone.source.commit });
    await held.dispose();
    execFileSync("rm", ["-rf", gone.cacheDir]);
    await expect(releaseHeldWorkspaces()).resolves.toBeUndefined();
  });

  it("does not hand out a held checkout whose folder was deleted", async () => {
    const { source, cache } = makeCache();
    const first = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    await first.dispose();
    execFileSync("rm", ["-rf", first.dir]);
    const next = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    expect(next.dir).not.toBe(first.dir);
    expect(readFileSync(join(next.dir, "pkg/mod.py"), "utf8")).toContain("return 1");
    await next.dispose();
    await drainWorkspacePool(cache, "acme/widget");
    expect(await listWorktrees(cache.mirrorPath("acme/widget"))).toEqual([]);
  });

  it("gives several workers their own checkouts of one repository at once", async () => {
    const { source, cache } = makeCache();
    const workspaces = await Promise.all(
      Array.from({ length: 6 }, () =>
        createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit }),
      ),
    );
    expect(new Set(workspaces.map((workspace) => workspace.dir)).size).toBe(6);
    expect(await listWorktrees(cache.mirrorPath("acme/widget"))).toHaveLength(6);
    await Promise.all(workspaces.map((workspace) => workspace.dispose()));
    await drainWorkspacePool(cache, "acme/widget");
    expect(await listWorktrees(cache.mirrorPath("acme/widget"))).toEqual([]);
  });

  it("works when two processes create and dispose workspaces of one repository at once", async () => {
    const { source, cacheDir } = makeCache();
    const script = `
      import { createRepoCache } from "./src/workspace/repo-cache.ts";
      import { createWorkspace } from "./src/workspace/create-workspace.ts";
      const cache = createRepoCache({ cacheDir: ${JSON.stringify(cacheDir)}, repoUrlTemplate: ${JSON.stringify(source.dir)} });
      const options = { repo: "acme/widget", baseCommit: ${JSON.stringify(source.commit)} };
      const all = await Promise.all([createWorkspace(cache, options), createWorkspace(cache, options)]);
      await Promise.all(all.map((workspace) => workspace.dispose()));
      console.log("ok");
    `;
    const run = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
          cwd: join(import.meta.dirname, "..", ".."),
        });
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk));
        child.stderr.on("data", (chunk: Buffer) => (out += chunk));
        child.on("close", () => resolve(out));
      });
    expect((await Promise.all([run(), run()])).map((output) => output.trim())).toEqual(["ok", "ok"]);
  });

  it("removes a crashed process's worktrees (anywhere, even locked) and its stale lock on the next use", async () => {
    const { source, cache } = makeCache();
    const mirror = await cache.ensureCommit("acme/widget", source.commit);
    const elsewhere = mkdtempSync(join(tmpdir(), "swegate-parent-"));
    cleanups.push(elsewhere);
    const dead = deadPid();
    const orphan = join(elsewhere, `acme__widget-${dead}-deadbeef`);
    git(mirror, "worktree", "add", "--detach", "-q", orphan, source.commit);
    git(mirror, "worktree", "lock", orphan);
    writeFileSync(join(orphan, "half-written.py"), "x");
    const deleted = join(elsewhere, `acme__widget-${dead}-cafebabe`);
    git(mirror, "worktree", "add", "--detach", "-q", deleted, source.commit);
    execFileSync("rm", ["-rf", deleted]);
    writeFileSync(`${mirror}.lock`, String(dead));
    const next = await createWorkspace(cache, {
      repo: "acme/widget",
      baseCommit: source.commit,
      reuse: false,
    });
    expect(existsSync(orphan)).toBe(false);
    expect((await listWorktrees(mirror)).map((worktree) => worktree.dir)).toEqual([next.dir]);
    await next.dispose();
    expect(await listWorktrees(mirror)).toEqual([]);
    expect(existsSync(`${mirror}.lock`)).toBe(false);
  });

  it("creates the checkout in the given parent folder", async () => {
    const { source, cache } = makeCache();
    const parentDir = mkdtempSync(join(tmpdir(), "swegate-parent-"));
    cleanups.push(parentDir);
    mkdirSync(join(parentDir, "x"));
    const workspace = await createWorkspace(cache, {
      repo: "acme/widget",
      baseCommit: source.commit,
      parentDir: join(parentDir, "x"),
    });
    expect(workspace.dir.startsWith(join(parentDir, "x"))).toBe(true);
    await workspace.dispose();
  });
});
