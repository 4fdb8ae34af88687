import { rm } from "node:fs/promises";
import { git } from "./git.js";

/** One checkout registered with a mirror. */
export interface WorktreeEntry {
  /** Folder of the checkout. */
  dir: string;
  /** Commit checked out, or undefined when unknown. */
  head: string | undefined;
  /** True when git keeps it from being pruned or moved (`git worktree lock`, or an add that crashed). */
  locked: boolean;
}

/** The worktrees registered with a bare mirror (the mirror itself excluded). */
export async function listWorktrees(mirror: string): Promise<WorktreeEntry[]> {
  const result = await git(["worktree", "list", "--porcelain"], { cwd: mirror });
  if (result.code !== 0) return [];
  const entries: WorktreeEntry[] = [];
  for (const block of result.stdout.split("\n\n")) {
    const lines = block.split("\n");
    const dir = lines.find((line) => line.startsWith("worktree "))?.slice("worktree ".length);
    if (!dir || lines.includes("bare")) continue;
    const head = lines.find((line) => line.startsWith("HEAD "))?.slice("HEAD ".length);
    entries.push({ dir, head, locked: lines.some((line) => line.startsWith("locked")) });
  }
  return entries;
}

/** Unregisters a worktree and deletes its folder, even when it is dirty or locked. */
export async function removeWorktree(mirror: string, dir: string): Promise<void> {
  await git(["worktree", "remove", "--force", "--force", dir], { cwd: mirror });
  await rm(dir, { recursive: true, force: true });
  await git(["worktree", "prune"], { cwd: mirror });
}
