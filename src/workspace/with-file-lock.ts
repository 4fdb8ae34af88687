import { open, readFile, rm } from "node:fs/promises";

const held = new Map<string, Promise<unknown>>();

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `task` holding a lock that is exclusive across this process (a promise chain) and across
 * processes (a lock file created with O_EXCL holding our pid). A lock file whose pid is dead was
 * left by a crash and is taken over.
 */
export async function withFileLock<T>(lockPath: string, task: () => Promise<T>): Promise<T> {
  const previous = held.get(lockPath) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      await acquire(lockPath);
      try {
        return await task();
      } finally {
        await rm(lockPath, { force: true });
      }
    });
  held.set(lockPath, run);
  try {
    return await run;
  } finally {
    if (held.get(lockPath) === run) held.delete(lockPath);
  }
}

async function acquire(lockPath: string): Promise<void> {
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
    // An empty file is a lock being written this instant; only a dead owner is stale.
    if (Number.isFinite(owner) && owner > 0 && !isProcessAlive(owner)) {
      await rm(lockPath, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
