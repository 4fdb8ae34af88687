import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
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
  /** Folder to create the checkout in; default the cache's `workspacesDir`. */
  parentDir?: string;
  /** Take a parked checkout and park it again on dispose (default true); false: a fresh worktree, removed on dispose. */
  reuse?: boolean;
}

/** Idle checkouts kept per repository for reuse. */
export const POOL_SIZE = 4;

/** A clean checkout this process disposed of, kept for its next workspace of the same mirror. */
interface HeldCheckout {
  dir: string;
  parent: string;
  slug: string;
  /** Commit it is checked out at. */
  head: string;
  /** Not cleaned since its last use (cleaning waits until it is taken, where it merges with the switch). */
  dirty: boolean;
}

/**
 * Per mirror, the clean checkouts this process holds between instances. Taking one back costs no git
 * call at the same commit and one `checkout` at another: no lock, no `worktree list`, no move. Their
 * folder names keep this process's pid, so other processes leave them alone while it lives and remove
 * them as orphans if it dies; `releaseHeldWorkspaces` parks them in the shared pool.
 */
const held = new Map<string, HeldCheckout[]>();

/**
 * A `git worktree` of the repository's cached mirror at `baseCommit`, with a detached HEAD — clean
 * (no change, no untracked or ignored file). Adding, moving and removing worktrees is serialised per
 * mirror with its lock (git races on the mirror's `worktrees/` folder). Workspaces of processes that
 * died are removed first, so a crash and rerun leaves nothing behind. A fresh django worktree writes
 * ~6.6k files (1–2 s here), so disposed clean checkouts are reused — first those this process holds,
 * then those parked in the repository's shared pool: only the files that differ between the two
 * commits are rewritten. See README.md for how the model is kept from seeing later commits.
 */
export async function createWorkspace(cache: RepoCache, options: CreateWorkspaceOptions): Promise<Workspace> {
  const parent = options.parentDir ?? cache.workspacesDir;
  const slug = options.repo.replace("/", "__");
  const reuse = options.reuse !== false;
  // A held checkout switches to the commit without asking the mirror first; only when the switch
  // fails (the commit is not there yet) is the mirror fetched and the switch tried again.
  let mirror = cache.mirrorPath(options.repo);
  let dir = reuse ? await takeHeld(mirror, parent, options.baseCommit) : undefined;
  if (!dir) {
    mirror = await cache.ensureCommit(options.repo, options.baseCommit);
    dir = (reuse && (await takeHeld(mirror, parent, options.baseCommit))) || (await checkOut());
  }
  const workspaceDir = dir;

  async function checkOut(): Promise<string> {
    await mkdir(parent, { recursive: true });
    // The creating pid in the name lets a later process recognise a crashed process's workspace.
    const target = join(parent, `${slug}-${process.pid}-${randomBytes(4).toString("hex")}`);
    const pooled = await withFileLock(`${mirror}.lock`, async () => {
      await removeOrphans(mirror);
      const idle = reuse ? (await listWorktrees(mirror)).filter((w) => isPooled(w.dir, slug)) : [];
      // A parked checkout already at the commit costs nothing to switch; try it first.
      idle.sort((a, b) => Number(b.head === options.baseCommit) - Number(a.head === options.baseCommit));
      for (const worktree of idle) {
        if ((await git(["worktree", "move", worktree.dir, target], { cwd: mirror })).code === 0) return true;
      }
      const added = await git(["worktree", "add", "--detach", "--quiet", target, options.baseCommit], {
        cwd: mirror,
      });
      if (added.code !== 0) throw new Error(`git worktree add failed: ${added.stderr.trim()}`);
      return false;
    });
    if (pooled) {
      const moved = await git(["checkout", "-q", "-f", "--detach", options.baseCommit], { cwd: target });
      if (moved.code !== 0)
        throw new Error(`git checkout in a pooled workspace failed: ${moved.stderr.trim()}`);
      await git(["clean", "-q", "-fdx"], { cwd: target });
    }
    return target;
  }

  let disposed = false;
  return {
    dir: workspaceDir,
    repo: options.repo,
    baseCommit: options.baseCommit,
    async dispose() {
      if (disposed) return;
      disposed = true;
      const checkout = { dir: workspaceDir, parent, slug, head: options.baseCommit, dirty: true };
      const holding = held.get(mirror) ?? [];
      if (reuse && holding.length < POOL_SIZE) {
        // Held as it is: the next workspace cleans it while switching commit (two git calls, not three).
        holding.push(checkout);
        held.set(mirror, holding);
        return;
      }
      await park(mirror, checkout, reuse && (await cleanCheckout(checkout)));
    },
  };
}

/** Back to a clean checkout of its commit: changes, untracked and ignored files gone. */
async function cleanCheckout(checkout: HeldCheckout): Promise<boolean> {
  return (
    (await git(["read-tree", "--reset", "-u", checkout.head], { cwd: checkout.dir })).code === 0 &&
    (await git(["clean", "-q", "-fdx"], { cwd: checkout.dir })).code === 0
  );
}

/**
 * A held checkout of `mirror` under `parent`, clean at `commit` (one already at that commit first):
 * `clean -fdx`, then `read-tree --reset -u` at the same commit or `checkout -f` at another. When the
 * switch fails because the commit is not in the mirror yet, the checkout stays held and undefined is
 * returned; on any other failure it is removed.
 */
async function takeHeld(mirror: string, parent: string, commit: string): Promise<string | undefined> {
  const holding = held.get(mirror) ?? [];
  const candidates = holding.filter((checkout) => checkout.parent === parent);
  const chosen = candidates.find((checkout) => checkout.head === commit) ?? candidates[0];
  if (!chosen) return undefined;
  holding.splice(holding.indexOf(chosen), 1);
  if (!existsSync(join(chosen.dir, ".git"))) return undefined; // deleted behind our back
  const cleaned = !chosen.dirty || (await git(["clean", "-q", "-fdx"], { cwd: chosen.dir })).code === 0;
  if (cleaned && chosen.head === commit) {
    if (!chosen.dirty) return chosen.dir;
    const reset = await git(["read-tree", "--reset", "-u", commit], { cwd: chosen.dir });
    if (reset.code === 0) return chosen.dir;
  } else if (cleaned) {
    const switched = await git(["checkout", "-q", "-f", "--detach", commit], { cwd: chosen.dir });
    if (switched.code === 0) return chosen.dir;
    if (/reference is not a tree|unknown revision|did not match|invalid reference/i.test(switched.stderr)) {
      // Not in the mirror yet. The files may be half-switched: clean it again when it is taken.
      holding.push({ ...chosen, dirty: true });
      return undefined;
    }
  }
  await withFileLock(`${mirror}.lock`, () => removeWorktree(mirror, chosen.dir));
  return undefined;
}

/** Parks a checkout in the repository's shared pool when it is clean and the pool has room; removes it otherwise. */
async function park(mirror: string, checkout: HeldCheckout, clean: boolean): Promise<void> {
  await withFileLock(`${mirror}.lock`, async () => {
    const idle = (await listWorktrees(mirror)).filter((worktree) =>
      isPooled(worktree.dir, checkout.slug),
    ).length;
    const target = join(checkout.parent, `${checkout.slug}-pool-${randomBytes(4).toString("hex")}`);
    if (
      clean &&
      idle < POOL_SIZE &&
      (await git(["worktree", "move", checkout.dir, target], { cwd: mirror })).code === 0
    )
      return;
    await removeWorktree(mirror, checkout.dir);
  });
}

/**
 * Hands the clean checkouts this process holds to the shared pools (removing those that do not
 * fit), so a later process can reuse them — what a run does when it ends. Safe to call any time:
 * workspaces in use are not touched, and it never throws.
 */
export async function releaseHeldWorkspaces(): Promise<void> {
  const all = [...held.entries()];
  held.clear();
  for (const [mirror, checkouts] of all)
    for (const checkout of checkouts) {
      // A cache deleted meanwhile (a test's or a bench's scratch folder) has nothing left to park into.
      if (!existsSync(join(mirror, "HEAD")) || !existsSync(checkout.dir)) continue;
      try {
        await park(mirror, checkout, !checkout.dirty || (await cleanCheckout(checkout)));
      } catch {
        // Best effort: a checkout that cannot be parked is an orphan the next process removes.
      }
    }
}

/** Removes the idle checkouts of a repository (held by this process or parked in its pool): no idle worktree remains. */
export async function drainWorkspacePool(cache: RepoCache, repo: string): Promise<number> {
  const mirror = cache.mirrorPath(repo);
  const slug = repo.replace("/", "__");
  const holding = held.get(mirror) ?? [];
  held.delete(mirror);
  return withFileLock(`${mirror}.lock`, async () => {
    const idle = [
      ...holding.map((checkout) => checkout.dir),
      ...(await listWorktrees(mirror)).filter((worktree) => isPooled(worktree.dir, slug)).map((w) => w.dir),
    ];
    for (const dir of idle) await removeWorktree(mirror, dir);
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
