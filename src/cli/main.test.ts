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
});
