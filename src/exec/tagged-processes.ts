import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

/** The variable that marks every process of one run where no PID namespace can be had. */
export const RUN_TAG_VARIABLE = "SWEGATE_RUN_TAG";

/** A random value for RUN_TAG_VARIABLE, one per run. */
export function newRunTag(): string {
  return randomBytes(12).toString("hex");
}

/**
 * Pids of the processes whose environment carries `variable=value` (this process excluded). Reads
 * /proc/PID/environ, which is the environment a process was started with: a process that dropped the
 * variable later still shows it, but one started with a fresh environment does not (see
 * containScript). Processes of other users cannot be read and are never listed; without /proc
 * (not Linux) nothing is.
 */
export function findTaggedProcesses(variable: string, value: string): number[] {
  const needle = Buffer.from(`${variable}=${value}\0`);
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environment: Buffer;
    try {
      environment = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // Gone, or another user's.
    }
    const at = environment.indexOf(needle);
    if (at === 0 || (at > 0 && environment[at - 1] === 0)) found.push(pid);
  }
  return found;
}

/**
 * SIGKILLs every process carrying the tag, scanning again until a scan finds none: a process can
 * fork while the scan runs, and its child is only caught by the next one. Gives up after a few
 * rounds against a fork bomb (the process group kill and GNU timeout still stand).
 */
export function killTaggedProcesses(variable: string, value: string): void {
  for (let round = 0; round < 5; round++) {
    const pids = findTaggedProcesses(variable, value);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
}
