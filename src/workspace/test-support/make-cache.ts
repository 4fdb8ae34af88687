import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepoCache } from "../repo-cache.js";
import { makeGitRepo } from "./make-git-repo.js";

/** Folders to delete after each test. */
export const cleanups: string[] = [];

/** Deletes every folder registered in `cleanups`. */
export async function removeCleanups(): Promise<void> {
  for (const dir of cleanups.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A source repository with `files` and an empty cache whose URL template points at it. */
export function makeCache(files: Record<string, string> = { "pkg/mod.py": "def f():\n    return 1\n" }) {
  const source = makeGitRepo(files);
  const cacheDir = mkdtempSync(join(tmpdir(), "swegate-cache-"));
  cleanups.push(source.dir, cacheDir);
  // A template without placeholders maps every repository to the one source folder built here.
  const cache = createRepoCache({ cacheDir, repoUrlTemplate: source.dir });
  return { source, cache, cacheDir };
}

/** A pid that belonged to a process which has exited. */
export function deadPid(): number {
  return 2 ** 22 + 12345; // above the default pid_max (4194304): never a live process
}
