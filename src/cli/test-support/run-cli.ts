import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

const bin = join(import.meta.dirname, "..", "..", "..", "bin", "swegate.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs the real executable from source, as a user would. */
export function runCli(args: string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    input: options.input,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Same, without blocking the test process (for tests that also serve HTTP or kill the CLI). */
export function runCliAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd,
      env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Path of the executable, for tests that spawn it themselves. */
export const swegateBin = bin;
