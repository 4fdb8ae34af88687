import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "bin", "swegate.js");

/** Runs the real executable from source, as a user would. */
export function runCli(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    input: options.input,
    encoding: "utf8",
    env: { ...process.env, SWEGATE_FROM_SOURCE: "1", ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("swegate executable", () => {
  it("prints its version", () => {
    const result = runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("exits 2 naming an unknown option", () => {
    const result = runCli(["--no-such-flag"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--no-such-flag");
  });
});
