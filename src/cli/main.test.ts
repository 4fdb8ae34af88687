import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./test-support/run-cli.js";

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

  it("run --healthy-only with no healthy instance is one line and exit 2, not an empty run", () => {
    const store = join(mkdtempSync(join(tmpdir(), "swegate-main-")), "store");
    const result = runCli(["run", "--healthy-only", "--store", store]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/none of the 5 selected instances is healthy.*swegate validate/);
    expect(readdirSync(store).filter((name) => name === "runs")).toEqual([]);
  });
});
