import { copyFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git } from "./git.js";
import { gitIndexPath, stampIndexTime } from "./snapshot-paths.js";

/**
 * The workspace's change against `baseCommit` as a `diff --git` unified diff, new files included
 * (binary changes as git binary patches), that `applyPatch` on a fresh checkout reproduces.
 */
export async function diffWorkspace(dir: string, baseCommit: string): Promise<string> {
  return withStagedWorkspace(dir, async (env) => {
    // Explicit a/ b/ prefixes: a repository's own config may say otherwise, and patches apply with -p1.
    const flags = [
      "--cached",
      "--binary",
      "--no-color",
      "--no-ext-diff",
      "--src-prefix=a/",
      "--dst-prefix=b/",
    ];
    const result = await git(["diff", ...flags, baseCommit], {
      cwd: dir,
      env,
    });
    if (result.code !== 0) throw new Error(`git diff failed: ${result.stderr.trim()}`);
    return result.stdout;
  });
}

/**
 * Calls `use` with an environment whose GIT_INDEX_FILE is a throwaway index holding every file of
 * the work tree as it is now (new and deleted files included), so `git diff --cached COMMIT` there
 * compares the work tree with any commit while the workspace's own index stays untouched.
 */
export async function withStagedWorkspace<T>(
  dir: string,
  use: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const index = await gitIndexPath(dir);
  // Beside the checkout's index (overwritten each time: creating files is what costs on slow disks),
  // or in a temporary folder outside git.
  const scratch = index ? undefined : await mkdtemp(join(tmpdir(), "swegate-index-"));
  const env = { GIT_INDEX_FILE: index ? `${index}.swegate-diff` : join(scratch as string, "index") };
  try {
    // Start from a copy of the checkout's own index: its cached file times let `add` skip unchanged
    // files instead of hashing the whole tree. The copy keeps the index's time (`stampIndexTime`).
    const copied = await copyIndex(index, env.GIT_INDEX_FILE);
    if (!copied) await git(["read-tree", "HEAD"], { cwd: dir, env });
    const added = await git(["add", "-A", "--", "."], { cwd: dir, env });
    if (added.code !== 0) throw new Error(`git add failed: ${added.stderr.trim()}`);
    return await use(env);
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    // Kept beside a workspace's index (swegate's own worktrees); a user's repository keeps nothing.
    else if (!index?.includes("/worktrees/")) await rm(env.GIT_INDEX_FILE, { force: true });
  }
}

async function copyIndex(index: string | undefined, target: string): Promise<boolean> {
  if (!index) return false;
  try {
    const { mtimeNs } = await stat(index, { bigint: true });
    await copyFile(index, target);
    await stampIndexTime(target, mtimeNs);
    return true;
  } catch {
    return false;
  }
}
