import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { judgePhase, loadRampPlan } from "./ramp-plan.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-ramp-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("ramp plans", () => {
  it("names file, line and field of a bad plan", () => {
    const file = join(scratch, "bad.yaml");
    writeFileSync(file, "phases:\n  - name: one\n    size: 10\n    target: 1.5\n");
    expect(() => loadRampPlan(file)).toThrow(/phases\.0\.target/);
    try {
      loadRampPlan(file);
    } catch (error) {
      expect((error as { where: string }).where).toBe(`${file}:4`);
    }
  });

  it("judges a phase by its verified rate with a Wilson interval", () => {
    const verdict = judgePhase({ name: "p", size: 10, target: 0.5 }, 3, 10);
    expect(verdict.met).toBe(false);
    expect(verdict.low).toBeGreaterThan(0.1);
    expect(verdict.high).toBeLessThan(0.61);
    expect(verdict.message).toContain("missed by 20%");
    expect(judgePhase({ name: "p", size: 10, target: 0.5 }, 5, 10).met).toBe(true);
  });

  it("on the demo, stops at a phase that misses its target and says why; the next phase never starts", () => {
    const plan = join(scratch, "plan.yaml");
    writeFileSync(
      plan,
      [
        "name: demo-ramp",
        "phases:",
        "  - { name: calculator, size: 3, target: 0.9, repos: [swegate-demo/calculator] }",
        "  - { name: textutils, size: 2, target: 0.5, repos: [swegate-demo/textutils] }",
      ].join("\n"),
    );
    // One attempt only: the demo's two-attempt instance fails, so the first phase reaches 1/2.
    const result = runCli([
      "ramp",
      plan,
      "--max-attempts",
      "1",
      "--cache-dir",
      join(scratch, "cache"),
      "--store",
      join(scratch, "store"),
    ]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stdout).toContain("phase calculator: 1/2 verified (50%");
    expect(result.stdout).toContain("target 90%: missed by 40%");
    expect(result.stdout).toContain(
      "ramp stopped: textutils does not start because calculator missed its target",
    );
    expect(result.stdout).not.toContain("swegate-demo__textutils-1");
  });
});
