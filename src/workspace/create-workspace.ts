import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { git } from "./git.js";
import type { RepoCache } from "./repo-cache.js";
import { isProcessAlive, withFileLock } from "./with-file-lock.js";
import { listWorktrees, removeWorktree } from "./worktrees.js";

/** A checkout of a repository at an instance's base commit. */
export interface Workspace {
  /** Folder of the checkout. */
  dir: string;
  /** `owner/name`. */
  repo: string;
  /** Commit checked out (detached HEAD). */
  baseCommit: string;
  /** Removes the checkout (or, when reuse is on and it is clean, parks it in the repository's pool). */
  dispose(): Promise<void>;
}

export interface CreateWorkspaceOptions {
  /** `owner/name`. */
  repo: string;
  /** Commit to check out. */
  baseCommit: string;
  /** Folder to create the checkout in; default `<cacheDir>/workspaces`. */
  parentDir?: string;
  /** Take a parked checkout and park it again on dispose (default true); false: a fresh worktree, removed on dispose. */
  reuse?: boolean;
}

/** Idle checkouts kept per repository for reuse. */
export const POOL_SIZE = 4;

/**
 * A `git worktree` of the repository's cached mirror at `baseCommit`, with a detached HEAD. Adding,
 * moving and removing worktrees is serialised per mirror with its lock (git races on the mirror's
 * `worktrees/` folder). Workspaces of processes that died are removed first, so a crash and rerun
 * leaves nothing behind. A fresh django worktree writes ~6.6k files (1–2 s here), so disposed clean
 * checkouts are parked in a small pool and reused: then only the files that differ between the two
 * commits are rewritten. See README.md for how the model is kept from seeing later commits.
 */
export async function createWorkspace(cache: RepoCache, options: CreateWorkspaceOptions): Promise<Workspace> {
  const mirror = await cache.ensureCommit(options.repo, options.baseCommit);
  const parent = options.parentDir ?? join(cache.cacheDir, "workspaces");
  await mkdir(parent, { recursive: true });
  const slug = options.repo.replace("/", "__");
  // The creating pid in the name lets a later process recognise a crashed process's workspace.
  const dir = join(parent, `${slug}-${process.pid}-${randomBytes(4).toString("hex")}`);
  const pooled = await withFileLock(`${mirror}.lock`, async () => {
    await removeOrphans(mirror);
    const idle =
      options.reuse === false ? [] : (await listWorktrees(mirror)).filter((w) => isPooled(w.dir, slug));
    // A parked checkout already at the commit costs nothing to switch; try it first.
    idle.sort((a, b) => Number(b.head === options.baseCommit) - Number(a.head === options.baseCommit));
    for (const worktree of idle) {
      if ((await git(["worktree", "move", worktree.dir, dir], { cwd: mirror })).code === 0) return true;
    }
    const added = await git(["worktree", "add", "--detach", "--quiet", dir, options.baseCommit], {
      cwd: mirror,
    });
    if (added.code !== 0) throw new Error(`git worktree add failed: ${added.stderr.trim()}`);
    return false;
  });
  if (pooled) {
    const moved = await git(["checkout", "-q", "-f", "--detach", options.baseCommit], { cwd: dir });
    if (moved.code !== 0)
      throw new Error(`git checkout in a pooled workspace failed: ${moved.stderr.trim()}`);
    await git(["clean", "-q", "-fdx"], { cwd: dir });
  }
  let disposed = false;
  return {
    dir,
    repo: options.repo,
    baseCommit: options.baseCommit,
    async dispose() {
      if (disposed) return;
      disposed = true;
      const clean =
        options.reuse !== false &&
        (await git(["reset", "-q", "--hard"], { cwd: dir })).code === 0 &&
        (await git(["clean", "-q", "-fdx"], { cwd: dir })).code === 0;
      await withFileLock(`${mirror}.lock`, async () => {
        const idle = (await listWorktrees(mirror)).filter((worktree) => isPooled(worktree.dir, slug)).length;
        const target = join(parent, `${slug}-pool-${randomBytes(4).toString("hex")}`);
        if (
          clean &&
          idle < POOL_SIZE &&
          (await git(["worktree", "move", dir, target], { cwd: mirror })).code === 0
        )
          return;
        await removeWorktree(mirror, dir);
      });
    },
  };
}

/** Removes the idle pooled checkouts of a repository (e.g. at the end of a run): no worktree remains. */
export async function drainWorkspacePool(cache: RepoCache, repo: string): Promise<number> {
  const mirror = cache.mirrorPath(repo);
  const slug = repo.replace("/", "__");
  return withFileLock(`${mirror}.lock`, async () => {
    const idle = (await listWorktrees(mirror)).filter((worktree) => isPooled(worktree.dir, slug));
    for (const worktree of idle) await removeWorktree(mirror, worktree.dir);
    return idle.length;
  });
}

function isPooled(dir: string, slug: string): boolean {
  return (dir.split("/").at(-1) ?? "").startsWith(`${slug}-pool-`);
}

/**
 * Removes every worktree of the mirror whose creating process is gone (the pid is in the folder name),
 * wherever it was created, then prunes registrations whose folder was deleted by hand. `remove
 * --force --force` also takes worktrees that a crashed `worktree add` left locked.
 */
async function removeOrphans(mirror: string): Promise<void> {
  for (const worktree of await listWorktrees(mirror)) {
    const pid = Number(/-(\d+)-[0-9a-f]{8}$/.exec(worktree.dir)?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid)) await removeWorktree(mirror, worktree.dir);
  }
  await git(["worktree", "prune"], { cwd: mirror });
}
