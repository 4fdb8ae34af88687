import { randomBytes } from "node:crypto";
import { link, readFile, rm, writeFile } from "node:fs/promises";

/** What the lock holder learns on entry. */
export interface LockEntry {
  /** Pid of a dead process whose lock was taken over (its work may be half done), else undefined. */
  staleOwner: number | undefined;
}

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
 * Runs `task` holding a lock that is exclusive within this process (a promise chain per path) and
 * across processes (a lock file holding our pid, created atomically). A lock whose pid is dead was
 * left by a crash and is taken over; `task` is told so it can repair what the dead owner left.
 * A pid reused by an unrelated live process keeps the lock until that process ends (no false takeover).
 */
export async function withFileLock<T>(lockPath: string, task: (entry: LockEntry) => Promise<T>): Promise<T> {
  const previous = held.get(lockPath) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      const entry = await acquire(lockPath);
      try {
        return await task(entry);
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

async function acquire(lockPath: string): Promise<LockEntry> {
  let staleOwner: number | undefined;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    if (await createExclusive(lockPath)) return { staleOwner };
    const owner = await readOwner(lockPath);
    if (owner !== undefined && !isProcessAlive(owner)) {
      if (await removeStaleLock(lockPath, owner)) {
        staleOwner = owner;
        continue;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * Creates `path` holding our pid, failing if it exists. The pid is written to a private file first and
 * hard-linked into place (link fails on an existing name, like O_EXCL), so a lock file is never seen
 * empty: a crash between create and write would otherwise leave an empty lock nobody can judge.
 */
async function createExclusive(path: string): Promise<boolean> {
  const draft = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(draft, String(process.pid));
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  const text = await readFile(path, "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Deletes a lock still owned by the dead `owner`. Two waiters may see the same dead owner; if both
 * deleted blindly, the second could delete the lock the first just took. So breaking takes a second
 * lock (`.break`), and under it the lock is deleted only if it still names the dead owner. Returns
 * true when this call deleted it.
 */
async function removeStaleLock(lockPath: string, owner: number): Promise<boolean> {
  const guard = `${lockPath}.break`;
  if (!(await createExclusive(guard))) {
    // Another waiter is breaking the lock; a guard left by a dead breaker is itself removed.
    const breaker = await readOwner(guard);
    if (breaker !== undefined && !isProcessAlive(breaker)) await rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readOwner(lockPath)) !== owner) return false;
    await rm(lockPath, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}
