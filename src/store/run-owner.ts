import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { RunOwner, RunRecord, RunStatus } from "./records.js";

/** This process, as the owner of the run it is running. */
export function currentOwner(): RunOwner {
  return { host: hostname(), pid: process.pid, started: processStartTime(process.pid) };
}

/**
 * Whether the process that owns a run is still alive: true or false on this machine, undefined
 * for a process on another machine (a store on a shared disk), which cannot be checked from here.
 * The process's start time guards against its pid having been reused since.
 */
export function ownerAlive(owner: RunOwner): boolean | undefined {
  if (owner.host !== hostname()) return undefined;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !owner.started || processStartTime(owner.pid) === owner.started;
}

/**
 * A run's status as a person should read it: a run still marked `running` whose process has died
 * (`kill -9`, a crash, a reboot) is `interrupted`, and its resume finishes it.
 */
export function effectiveRunStatus(run: RunRecord): RunStatus {
  return run.status === "running" && run.owner && ownerAlive(run.owner) === false
    ? "interrupted"
    : run.status;
}

/** The process's start time in clock ticks since boot (Linux /proc), or "" where there is none. */
function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22; the command name (field 2) is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}
