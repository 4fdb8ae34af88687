import { git } from "./git.js";
import { readIndexPaths } from "./read-index-paths.js";
import { gitIndexPath } from "./snapshot-paths.js";

/**
 * The files the checkout at `dir` tracks — what `git ls-files` lists (after a reset to base_commit,
 * the files of its tree) — read from the index file in-process, or from git when the index is not
 * one `readIndexPaths` reads (e.g. a SHA-256 repository).
 */
export async function listTrackedFiles(dir: string): Promise<string[]> {
  const index = await gitIndexPath(dir);
  const fromIndex = index ? await readIndexPaths(index) : undefined;
  if (fromIndex) return fromIndex;
  const listed = await git(["ls-files", "-z"], { cwd: dir });
  if (listed.code !== 0) throw new Error(`git ls-files failed in ${dir}: ${listed.stderr.trim()}`);
  return listed.stdout.split("\0").filter(Boolean);
}
