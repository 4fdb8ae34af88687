import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandResult } from "./backend.js";

/** Appended to the output of a run that an abort stopped (by every backend). */
export const INTERRUPTED_NOTE = "\n[swegate: interrupted]\n";

/** Default output cap: 16 MiB (head and tail halves kept). */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

export interface SpawnMergedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutSeconds: number;
  outputLimitBytes?: number;
  onOutput?: (chunk: string) => void;
  /** Aborting it kills the process group at once. */
  signal?: AbortSignal;
}

/** Process groups started here and still running: killed when Node exits, however it exits. */
const liveGroups = new Set<number>();
process.once("exit", () => {
  for (const group of liveGroups) killProcessGroup(group, "SIGKILL");
});

function killProcessGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs a program with stdout and stderr sent to ONE pipe (so lines keep their arrival order), in
 * its own process group; at the timeout the whole group gets SIGTERM, then SIGKILL, so a grandchild
 * holding the pipe can neither hang the call nor outlive it. An abort kills the group at once, and
 * so does Node's exit (a second Ctrl-C); if Node is killed outright, GNU timeout ends the group.
 * Output is capped: the head and tail are kept and the dropped middle is counted. Shared by every
 * backend that runs local processes.
 */
export function spawnMerged(
  command: string,
  args: string[],
  options: SpawnMergedOptions,
): Promise<CommandResult> {
  const limit = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
  const started = Date.now();
  return new Promise((resolve) => {
    if (options.signal?.aborted)
      return resolve({
        exitCode: null,
        output: INTERRUPTED_NOTE,
        durationMs: 0,
        timedOut: false,
        truncatedBytes: 0,
      });
    // One pipe for both streams: a tiny shell makes fd 2 a duplicate of fd 1, then becomes the command.
    // GNU timeout (when there is one) as a backstop that outlives swegate: were swegate killed
    // outright (kill -9, the OOM killer), the group would still end a little after its own deadline.
    const backstop = backstopSeconds(options.timeoutSeconds);
    const shell = `exec 2>&1; if command -v timeout >/dev/null; then exec timeout -k 10 ${backstop} "$@"; fi; exec "$@"`;
    const child = spawn("bash", ["-c", shell, "swegate", command, ...args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const head: Buffer[] = [];
    let headBytes = 0;
    const tail: Buffer[] = [];
    let tailBytes = 0;
    let dropped = 0;
    const half = Math.floor(limit / 2);
    child.stdout.on("data", (chunk: Buffer) => {
      options.onOutput?.(chunk.toString("utf8"));
      if (headBytes < half) {
        const take = chunk.subarray(0, half - headBytes);
        head.push(take);
        headBytes += take.length;
        chunk = chunk.subarray(take.length);
      }
      if (chunk.length === 0) return;
      tail.push(chunk);
      tailBytes += chunk.length;
      while (tailBytes > limit - half && tail.length > 0) {
        const first = tail[0] as Buffer;
        const excess = tailBytes - (limit - half);
        if (first.length <= excess) {
          tail.shift();
          tailBytes -= first.length;
          dropped += first.length;
        } else {
          tail[0] = first.subarray(excess);
          tailBytes -= excess;
          dropped += excess;
        }
      }
    });
    let timedOut = false;
    let interrupted = false;
    const group = child.pid;
    if (group) liveGroups.add(group);
    const killGroup = (signal: NodeJS.Signals) => {
      if (group) killProcessGroup(group, signal);
    };
    const onAbort = () => {
      interrupted = true;
      killGroup("SIGKILL");
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), 2000).unref();
    }, options.timeoutSeconds * 1000);
    const finish = (exitCode: number | null, extra = "") => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      // Whatever the group left running (a daemonised grandchild) goes with the command.
      killGroup("SIGKILL");
      if (group) liveGroups.delete(group);
      const middle =
        dropped > 0 ? Buffer.from(`\n[swegate: ${dropped} bytes of output dropped here]\n`) : Buffer.alloc(0);
      const output =
        Buffer.concat([...head, middle, ...tail]).toString("utf8") +
        extra +
        (interrupted ? INTERRUPTED_NOTE : "");
      resolve({
        exitCode: timedOut || interrupted ? null : exitCode,
        output,
        durationMs: Date.now() - started,
        timedOut,
        truncatedBytes: dropped,
      });
    };
    child.on("error", (error) => finish(127, `${command}: ${error.message}\n`));
    // `close` waits for the pipe to close; after a kill the group is gone so it does close.
    child.on("close", (code) => finish(code));
  });
}

/** The backstop's deadline: later than swegate's own timeout, so that one is what normally fires. */
function backstopSeconds(timeoutSeconds: number): number {
  return Math.ceil(timeoutSeconds + Math.max(5, Math.min(60, timeoutSeconds)));
}

/** Writes a script to a private temporary file; returns its path and a cleanup function. */
export function writeTemporaryScript(script: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "swegate-script-"));
  const path = join(dir, "run.sh");
  writeFileSync(path, script, { mode: 0o700 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes the script to a private file, runs the command that file's path gives, and removes it. */
export async function runScriptFile(
  script: string,
  command: (scriptPath: string) => { program: string; args: string[] },
  options: SpawnMergedOptions,
): Promise<CommandResult> {
  const file = writeTemporaryScript(script);
  try {
    const { program, args } = command(file.path);
    return await spawnMerged(program, args, options);
  } finally {
    file.remove();
  }
}
