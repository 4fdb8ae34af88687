import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runShellCommand } from "./shell-pool.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-shell-pool-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("runShellCommand", () => {
  it("passes every argument through unparsed: quotes, spaces, newlines, globs, $ and non-ASCII", async () => {
    const args = ["it's", 'say "hi"', "two\nlines", "*", "$HOME", "`id`", "; rm -rf /", "ünï", ""];
    const result = await runShellCommand(
      "python3",
      ["-c", "import json, sys; print(json.dumps(sys.argv[1:]))", ...args],
      { cwd: scratch },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(args);
  });

  it("gives the command its input, folder and extra variables, and keeps stdout, stderr and the exit code apart", async () => {
    const result = await runShellCommand(
      "python3",
      [
        "-c",
        "import os, sys; data = sys.stdin.read(); print(os.getcwd(), os.environ['SWEGATE_X'], data.upper()); print('oops', file=sys.stderr); sys.exit(3)",
      ],
      { cwd: scratch, input: "ab'c\n", env: { SWEGATE_X: "v a'l" } },
    );
    expect(result).toEqual({ code: 3, stdout: `${scratch} v a'l AB'C\n\n`, stderr: "oops\n" });
    const next = await runShellCommand("sh", ["-c", "cat; echo done"], { cwd: scratch });
    expect(next.stdout).toBe("done\n"); // no input given: empty, not the previous call's
  });

  it("fails with a message for a missing folder, and 127 for a missing command", async () => {
    const missing = await runShellCommand("true", [], { cwd: join(scratch, "nowhere") });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("nowhere");
    expect((await runShellCommand("swegate-no-such-command", [], { cwd: scratch })).code).toBe(127);
  });

  it("runs many commands at once, each getting its own output", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        runShellCommand("sh", ["-c", `sleep 0.0${index % 3}; echo ${index}`], { cwd: scratch }),
      ),
    );
    expect(results.map((result) => result.stdout.trim())).toEqual(
      Array.from({ length: 12 }, (_, index) => String(index)),
    );
  });

  it("recovers when a shell dies under a command", async () => {
    const killed = await runShellCommand("sh", ["-c", "kill -9 $PPID"], { cwd: scratch });
    expect(killed.code).not.toBe(0);
    expect((await runShellCommand("echo", ["alive"], { cwd: scratch })).stdout).toBe("alive\n");
  });

  it("does not keep Node running once its commands are done", () => {
    const script = `
      import { runShellCommand } from "./src/exec/shell-pool.ts";
      const result = await runShellCommand("echo", ["hello"], { cwd: "." });
      console.log(result.stdout.trim());
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: join(import.meta.dirname, "..", ".."),
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.error).toBeUndefined(); // a timeout would mean a shell kept the process alive
    expect(child.stdout.trim()).toBe("hello");
  });
});
