import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How a short command ended. */
export interface ShellCommandResult {
  /** Exit code (0 on success; 127 when the command was not found, non-zero when `cwd` is missing). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface ShellCommandOptions {
  /** Folder to run in. */
  cwd: string;
  /** Text for the command's standard input (empty input otherwise). */
  input?: string;
  /** Variables added to the environment of this command only. */
  env?: Record<string, string>;
}

/** Idle shells kept for the next command; more are started when more commands run at once. */
const MAX_IDLE = 4;

/**
 * Runs a short command (git, mostly) through a long-lived `sh` instead of spawning it from Node.
 * Spawning forks the whole Node process, which costs milliseconds of blocked event loop per call in
 * a process of this size; the tiny shell forks in a fraction of that. swegate runs about ten git
 * commands per instance, so this is most of its own overhead (`npm run bench`).
 *
 * Each shell runs one command at a time: arguments are single-quoted (any byte but NUL is safe),
 * input, output and errors go through files in the shell's private scratch folder, and a line with a
 * per-shell nonce and `$?` marks the end. The shell gets the environment Node has when it starts; a
 * shell started under another environment is not reused. Shells hold no event-loop reference while
 * idle, and exit when Node does (their stdin closes).
 */
export async function runShellCommand(
  command: string,
  args: string[],
  options: ShellCommandOptions,
): Promise<ShellCommandResult> {
  // One serialisation of the environment per command: a change while it runs is caught by the next take.
  const environment = JSON.stringify(process.env);
  const shell = takeShell(environment);
  commandsRun++;
  try {
    return await shell.run(command, args, options);
  } finally {
    if (shell.alive && idle.length < MAX_IDLE) idle.push(shell);
    else shell.close();
  }
}

let commandsRun = 0;

/** Commands run through the pool since the process started (the bench reports git calls per instance). */
export function shellCommandCount(): number {
  return commandsRun;
}

const idle: Shell[] = [];
const scratchFolders = new Set<string>();
process.once("exit", () => {
  for (const folder of scratchFolders) rmSync(folder, { recursive: true, force: true });
});

function takeShell(environment: string): Shell {
  while (idle.length > 0) {
    const shell = idle.pop() as Shell;
    if (shell.alive && shell.environment === environment) return shell;
    shell.close();
  }
  return new Shell(environment);
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

class Shell {
  alive = true;
  private readonly child: ChildProcess;
  private readonly scratch: string;
  private readonly nonce = `swegate-done-${Math.random().toString(36).slice(2)}`;
  private readonly endMarker = new RegExp(`${this.nonce} (\\d+)\\n`);
  private output = "";
  private waiting: ((code: number) => void) | undefined;

  constructor(readonly environment: string) {
    this.scratch = mkdtempSync(join(tmpdir(), "swegate-sh-"));
    scratchFolders.add(this.scratch);
    this.child = spawn("sh", [], { stdio: ["pipe", "pipe", "ignore"], env: process.env });
    this.child.stdout?.setEncoding("utf8");
    this.child.stdout?.on("data", (chunk: string) => this.receive(chunk));
    this.child.stdin?.on("error", () => undefined);
    this.child.on("error", () => this.end());
    this.child.on("close", () => this.end());
    this.idle();
  }

  async run(command: string, args: string[], options: ShellCommandOptions): Promise<ShellCommandResult> {
    const files = {
      in: join(this.scratch, "in"),
      out: join(this.scratch, "out"),
      err: join(this.scratch, "err"),
    };
    if (options.input !== undefined) await writeFile(files.in, options.input);
    const assignments = Object.entries(options.env ?? {})
      .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      .map(([name, value]) => `${name}=${quote(value)} `)
      .join("");
    const line =
      `cd ${quote(options.cwd)} 2>${quote(files.err)} >${quote(files.out)} && ` +
      `${assignments}${[command, ...args].map(quote).join(" ")} ` +
      `<${options.input !== undefined ? quote(files.in) : "/dev/null"} >${quote(files.out)} 2>${quote(files.err)}; ` +
      `echo "${this.nonce} $?"\n`;
    const code = await new Promise<number>((resolve) => {
      if (!this.alive) return resolve(-1);
      this.waiting = resolve;
      this.busy();
      this.child.stdin?.write(line);
    });
    this.idle();
    if (code < 0) return { code: 1, stdout: "", stderr: `the shell running ${command} exited unexpectedly` };
    // Synchronous reads: the files are small and just written, and a thread-pool round trip per file
    // cost more than the read itself.
    return { code, stdout: readOrEmpty(files.out), stderr: readOrEmpty(files.err) };
  }

  close(): void {
    if (!this.alive) return;
    this.child.stdin?.end();
    this.end();
  }

  private receive(chunk: string): void {
    this.output += chunk;
    const match = this.endMarker.exec(this.output);
    if (!match) return;
    this.output = this.output.slice((match.index ?? 0) + match[0].length);
    const done = this.waiting;
    this.waiting = undefined;
    done?.(Number(match[1]));
  }

  private end(): void {
    this.alive = false;
    const done = this.waiting;
    this.waiting = undefined;
    done?.(-1);
    rmSync(this.scratch, { recursive: true, force: true });
    scratchFolders.delete(this.scratch);
  }

  /** Keeps Node alive while a command runs, and only then. */
  private busy(): void {
    this.child.ref();
    (this.child.stdout as { ref?: () => void } | null)?.ref?.();
    (this.child.stdin as { ref?: () => void } | null)?.ref?.();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as { unref?: () => void } | null)?.unref?.();
    (this.child.stdin as { unref?: () => void } | null)?.unref?.();
  }
}
