import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git } from "./git.js";

/**
 * The workspace's change against `baseCommit` as a `diff --git` unified diff, new files included
 * (binary changes as git binary patches), that `applyPatch` on a fresh checkout reproduces.
 * Uses a throwaway index so the workspace's own index is untouched.
 */
export async function diffWorkspace(dir: string, baseCommit: string): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), "swegate-index-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  try {
    await git(["read-tree", baseCommit], { cwd: dir, env });
    await git(["add", "-A", "--", "."], { cwd: dir, env });
    const result = await git(["diff", "--cached", "--binary", "--no-color", "--no-ext-diff", baseCommit], {
      cwd: dir,
      env,
    });
    if (result.code !== 0) throw new Error(`git diff failed: ${result.stderr.trim()}`);
    return result.stdout;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
