import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { createRepoCache, defaultCacheDir, repoUrl } from "./repo-cache.js";
import { cleanups, deadPid, makeCache, removeCleanups } from "./test-support/make-cache.js";
import { commitFiles } from "./test-support/make-git-repo.js";
import { withFileLock } from "./with-file-lock.js";

afterEach(removeCleanups);

const repoRoot = join(import.meta.dirname, "..", "..");

describe("repository cache", () => {
  it("substitutes {repo}, {owner} and {name} and defaults under the user's cache folder", () => {
    expect(repoUrl("https://h/{repo}.git|{owner}+{name}", "django/django")).toBe(
      "https://h/django/django.git|django+django",
    );
    expect(defaultCacheDir()).toMatch(/swegate$/);
  });

  it("clones once, fetches only a missing commit, and serves known commits without the source", async () => {
    const { source, cache } = makeCache();
    const mirror = await cache.ensureCommit("acme/widget", source.commit);
    expect(
      execFileSync("git", ["rev-parse", "--is-bare-repository"], { cwd: mirror, encoding: "utf8" }),
    ).toBe("true\n");
    const later = commitFiles(source.dir, { "pkg/mod.py": "def f():\n    return 2\n" }, "later");
    expect(await cache.ensureCommit("acme/widget", later)).toBe(mirror);
    // With the source gone, a commit already in the mirror needs no network: no fetch was attempted.
    const moved = `${source.dir}-moved`;
    renameSync(source.dir, moved);
    cleanups.push(moved);
    expect(await cache.ensureCommit("acme/widget", source.commit)).toBe(mirror);
    expect(await cache.ensureCommit("acme/widget", later)).toBe(mirror);
  });

  it("brings the source's replacement objects, so a checkout reads a stand-in for a blob its history lacks", async () => {
    const { source, cache } = makeCache({
      "pkg/mod.py": "def f():\n    return 1\n",
      "data/table.dat": "1 2 3\n",
    });
    const run = (args: string[], input?: string) =>
      execFileSync("git", args, { cwd: source.dir, encoding: "utf8", input }).trim();
    const lost = run(["rev-parse", `${source.commit}:data/table.dat`]);
    const standIn = run(["hash-object", "-w", "--stdin"], "1 2 3\n# the stand-in\n");
    run(["replace", lost, standIn]);
    // The blob itself is gone from the source, as in a snapshot that lost it.
    execFileSync("rm", [join(source.dir, ".git", "objects", lost.slice(0, 2), lost.slice(2))]);
    const { createWorkspace } = await import("./create-workspace.js");
    const workspace = await createWorkspace(cache, { repo: "acme/widget", baseCommit: source.commit });
    try {
      expect(readFileSync(join(workspace.dir, "data", "table.dat"), "utf8")).toBe("1 2 3\n# the stand-in\n");
    } finally {
      await workspace.dispose();
    }
  });

  it("clones one mirror when many workers ask for the same repository at once", async () => {
    const { source, cache, cacheDir } = makeCache();
    const mirrors = await Promise.all(
      Array.from({ length: 8 }, () => cache.ensureCommit("acme/widget", source.commit)),
    );
    expect(new Set(mirrors).size).toBe(1);
    expect(readdirSync(join(cacheDir, "repos"))).toEqual(["acme__widget.git"]);
  });

  it("clones one mirror when two processes ask for the same repository at once", async () => {
    const { source, cacheDir } = makeCache();
    const later = commitFiles(source.dir, { "b.py": "x = 1\n" }, "later");
    const script = `
      import { createRepoCache } from "./src/workspace/repo-cache.ts";
      const cache = createRepoCache({ cacheDir: ${JSON.stringify(cacheDir)}, repoUrlTemplate: ${JSON.stringify(source.dir)} });
      await Promise.all([cache.ensureCommit("acme/widget", ${JSON.stringify(source.commit)}), cache.ensureCommit("acme/widget", ${JSON.stringify(later)})]);
      console.log("ok");
    `;
    const outputs = await Promise.all([runScript(script), runScript(script)]);
    expect(outputs.map((output) => output.trim())).toEqual(["ok", "ok"]);
    expect(readdirSync(join(cacheDir, "repos"))).toEqual(["acme__widget.git"]);
  });

  it("repairs what a crashed clone or fetch left: partial clone, stale lock, git's own ref locks", async () => {
    const { source, cache, cacheDir } = makeCache();
    const mirror = await cache.ensureCommit("acme/widget", source.commit);
    const dead = deadPid();
    mkdirSync(join(cacheDir, "repos", `acme__widget.git.partial-${dead}`));
    writeFileSync(`${mirror}.lock`, String(dead));
    writeFileSync(join(mirror, "packed-refs.lock"), "");
    mkdirSync(join(mirror, "refs", "heads"), { recursive: true });
    writeFileSync(join(mirror, "refs", "heads", "main.lock"), "");
    const later = commitFiles(source.dir, { "c.py": "y = 2\n" }, "later");
    expect(await cache.ensureCommit("acme/widget", later)).toBe(mirror);
    expect(readdirSync(join(cacheDir, "repos"))).toEqual(["acme__widget.git"]);
    expect(existsSync(join(mirror, "packed-refs.lock"))).toBe(false);
  });

  it("names the repository, commit and URL when the clone or the commit is missing", async () => {
    const { cache, cacheDir } = makeCache();
    const missing = "0".repeat(40);
    const error = await cache.ensureCommit("acme/widget", missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).oneLine()).toMatch(new RegExp(`${missing} of acme/widget is not in /`));
    const nowhere = createRepoCache({
      cacheDir,
      repoUrlTemplate: join(cacheDir, "nowhere", "{owner}+{name}"),
    });
    const cloneError = await nowhere.ensureCommit("acme/gone", missing).catch((caught: unknown) => caught);
    expect(cloneError).toBeInstanceOf(UserError);
    expect((cloneError as UserError).message).toContain("could not clone acme/gone from");
    expect((cloneError as UserError).message).toContain("nowhere/acme+gone");
    await expect(cache.ensureCommit("not a repo", missing)).rejects.toThrow(/owner\/name/);
  });
});

describe("withFileLock", () => {
  it("lets one task at a time in, within a process", async () => {
    const { cacheDir } = makeCache();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        withFileLock(join(cacheDir, "x.lock"), async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setImmediate(resolve));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(existsSync(join(cacheDir, "x.lock"))).toBe(false);
  });

  it("takes over a lock whose owner is dead and says so, but waits for a live owner", async () => {
    const { cacheDir } = makeCache();
    const lock = join(cacheDir, "y.lock");
    writeFileSync(lock, String(deadPid()));
    expect(await withFileLock(lock, async (entry) => entry.staleOwner)).toBe(deadPid());
    // A live owner (a sleeping child) holds the lock until it is released.
    const sleeper = spawn("sleep", ["30"]);
    writeFileSync(lock, String(sleeper.pid));
    let entered = false;
    const waiting = withFileLock(lock, async (entry) => {
      entered = true;
      return entry.staleOwner;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(entered).toBe(false);
    sleeper.kill();
    await new Promise((resolve) => sleeper.on("exit", resolve));
    expect(await waiting).toBe(sleeper.pid);
  });
});

function runScript(script: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk));
    child.on("close", () => resolve(out));
  });
}
