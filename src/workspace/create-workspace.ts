import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { git } from "./git.js";
import type { RepoCache } from "./repo-cache.js";
import { isProcessAlive, withFileLock } from "./with-file-lock.js";

/** A checkout of a repository at an instance's base commit. */
export interface Workspace {
  /** Folder of the checkout. */
  dir: string;
  /** `owner/name`. */
  repo: string;
  /** Commit checked out (detached HEAD). */
  baseCommit: string;
  /** Removes the checkout and its worktree registration. */
  dispose(): Promise<void>;
}

/**
 * A `git worktree` of the repository's cached mirror at `baseCommit`, with a detached HEAD. Adding and
 * removing worktrees is serialised per mirror (git races on its `worktrees/` folder); workspaces of
 * processes that died are removed first, so a crash and rerun leaves nothing behind. Disposed
 * workspaces are cleaned and pooled: a warm cache then costs a checkout of the files that differ. See README.md
 * here for how the model is kept from seeing later commits.
 */
export async function createWorkspace(
  cache: RepoCache,
  options: { repo: string; baseCommit: string; parentDir?: string },
): Promise<Workspace> {
  const mirror = await cache.ensureCommit(options.repo, options.baseCommit);
  const parent = options.parentDir ?? join(cache.cacheDir, "workspaces");
  await mkdir(parent, { recursive: true });
  const name = `${options.repo.replace("/", "__")}-${process.pid}-${randomBytes(4).toString("hex")}`;
  const dir = join(parent, name);
  const slug = options.repo.replace("/", "__");
  const pooled = await withFileLock(`${mirror}.lock`, async () => {
    await removeOrphans(mirror, parent);
    const idle = (await readdir(parent)).find((entry) => entry.startsWith(`${slug}-pool-`));
    if (idle && (await git(["worktree", "move", join(parent, idle), dir], { cwd: mirror })).code === 0)
      return true;
    const added = await git(["worktree", "add", "--detach", "--quiet", dir, options.baseCommit], {
      cwd: mirror,
    });
    if (added.code !== 0) throw new Error(`git worktree add failed: ${added.stderr.trim()}`);
    return false;
  });
  if (pooled) {
    // A reused checkout only rewrites the files that differ between the two commits.
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
      // Back to a clean checkout and into the pool (a few per repository), so the next workspace is a cheap checkout.
      const clean =
        (await git(["reset", "-q", "--hard"], { cwd: dir })).code === 0 &&
        (await git(["clean", "-q", "-fdx"], { cwd: dir })).code === 0;
      await withFileLock(`${mirror}.lock`, async () => {
        const idle = (await readdir(parent)).filter((entry) => entry.startsWith(`${slug}-pool-`)).length;
        const target = join(parent, `${slug}-pool-${randomBytes(4).toString("hex")}`);
        if (
          clean &&
          idle < POOL_SIZE &&
          (await git(["worktree", "move", dir, target], { cwd: mirror })).code === 0
        )
          return;
        await git(["worktree", "remove", "--force", "--force", dir], { cwd: mirror });
        await rm(dir, { recursive: true, force: true });
        await git(["worktree", "prune"], { cwd: mirror });
      });
    },
  };
}

/** Idle checkouts kept per repository for reuse. */
const POOL_SIZE = 4;

/** Removes workspaces whose creating process is gone (the pid is part of the folder name). */
async function removeOrphans(mirror: string, parent: string): Promise<void> {
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const pid = Number(/-(\d+)-[0-9a-f]{8}$/.exec(entry)?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid))
      await rm(join(parent, entry), { recursive: true, force: true });
  }
  await git(["worktree", "prune"], { cwd: mirror });
}
