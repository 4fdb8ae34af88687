import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { CommandResult } from "./backend.js";
import { createOutputScrubber, scrubSecrets } from "./scrub-secrets.js";

/** Appended to the output of a run that an abort stopped (by every backend). */
export const INTERRUPTED_NOTE = "\n[swegate: interrupted]\n";

/** Default output cap: 16 MiB (head and tail halves kept). */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * How long the output pipe may stay open once the command's own process has exited: a process that
 * left the group (setsid) and kept the pipe would otherwise hold the call for as long as it lives.
 */
const PIPE_GRACE_MS = 500;

export interface SpawnMergedOptions {
  /** Working folder. */
  cwd: string;
  /** The command's whole environment (nothing of swegate's own is added). */
  env: NodeJS.ProcessEnv;
  /** Seconds before the process group gets SIGTERM (and SIGKILL two seconds later). */
  timeoutSeconds: number;
  /** Bytes of output kept (head and tail); default DEFAULT_OUTPUT_LIMIT_BYTES. */
  outputLimitBytes?: number;
  /** Output chunks as they arrive, secrets already redacted. */
  onOutput?: (chunk: string) => void;
  /** Aborting it kills the process group at once. */
  signal?: AbortSignal;
  /**
   * Kills what the command started outside its process group, where the caller can find it (see
   * contain-script.ts); called at the end, on abort, at the timeout's SIGKILL and when Node exits.
   */
  killStragglers?: () => void;
}

/** Process groups started here and still running: killed when Node exits, however it exits. */
const liveGroups = new Set<number>();
/** The killStragglers of runs still going, for the same reason. */
const liveStragglers = new Set<() => void>();
process.once("exit", () => {
  for (const group of liveGroups) killProcessGroup(group, "SIGKILL");
  for (const kill of liveStragglers) kill();
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
 * A process that left the group (setsid) is out of reach of all that: once the command's own process
 * has exited, the pipe gets PIPE_GRACE_MS more and the call resolves whoever still holds it. Ending
 * such processes is the caller's part (the host backend's PID namespace, or `killStragglers`).
 * Output is capped: the head and tail are kept and the dropped middle is counted; credentials are
 * redacted from it (scrub-secrets.ts) before anyone sees it. Shared by every backend that runs local
 * processes.
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
    // Decoded as a stream (a character split between two reads stays whole) and scrubbed before it
    // is kept or shown; a secret split between two reads is held back until it can be seen whole.
    const decoder = new StringDecoder("utf8");
    const scrubber = createOutputScrubber();
    const keep = (text: string) => {
      if (text === "") return;
      options.onOutput?.(text);
      let chunk = Buffer.from(text, "utf8");
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
    };
    child.stdout.on("data", (chunk: Buffer) => keep(scrubber.write(decoder.write(chunk))));
    let timedOut = false;
    let interrupted = false;
    let done = false;
    const group = child.pid;
    if (group) liveGroups.add(group);
    const stragglers = options.killStragglers;
    if (stragglers) liveStragglers.add(stragglers);
    const killGroup = (signal: NodeJS.Signals) => {
      if (group) killProcessGroup(group, signal);
    };
    const onAbort = () => {
      interrupted = true;
      killGroup("SIGKILL");
      stragglers?.();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      hardKill = setTimeout(() => {
        killGroup("SIGKILL");
        stragglers?.();
      }, 2000);
      hardKill.unref();
    }, options.timeoutSeconds * 1000);
    let pipeGrace: NodeJS.Timeout | undefined;
    const finish = (exitCode: number | null, extra = "") => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(hardKill);
      clearTimeout(pipeGrace);
      options.signal?.removeEventListener("abort", onAbort);
      // Whatever the group left running (a daemonised grandchild) goes with the command, and so does
      // what left the group, where the caller can find it.
      killGroup("SIGKILL");
      if (group) liveGroups.delete(group);
      stragglers?.();
      if (stragglers) liveStragglers.delete(stragglers);
      // An orphan may still hold the pipe: stop reading it (this also lets Node close its end).
      child.stdout.destroy();
      keep(scrubber.write(decoder.end()) + scrubber.end());
      const middle =
        dropped > 0 ? Buffer.from(`\n[swegate: ${dropped} bytes of output dropped here]\n`) : Buffer.alloc(0);
      const output = scrubSecrets(
        Buffer.concat([...head, middle, ...tail]).toString("utf8") +
          extra +
          (interrupted ? INTERRUPTED_NOTE : ""),
      );
      resolve({
        exitCode: timedOut || interrupted ? null : exitCode,
        output,
        durationMs: Date.now() - started,
        timedOut,
        truncatedBytes: dropped,
      });
    };
    child.on("error", (error) => finish(127, `${command}: ${error.message}\n`));
    // `close` comes when the process has exited AND the pipe has closed; an orphan holding the pipe
    // would keep it from coming, so the process's own exit starts a short grace instead.
    child.on("exit", (code) => {
      pipeGrace = setTimeout(() => finish(code), PIPE_GRACE_MS);
    });
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
