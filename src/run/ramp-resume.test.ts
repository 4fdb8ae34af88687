import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/test-support/run-cli.js";
import { openStore } from "../store/open-store.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-ramp-resume-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("a ramp is what it was started with", () => {
  it("a rerun refuses a flag that contradicts the first phase, and later phases keep its settings", () => {
    const plan = join(scratch, "plan.yaml");
    writeFileSync(
      plan,
      [
        "name: kept",
        "phases:",
        "  - { name: calculator, size: 3, target: 0.9, repos: [swegate-demo/calculator] }",
        "  - { name: textutils, size: 2, target: 0.5, repos: [swegate-demo/textutils] }",
      ].join("\n"),
    );
    const where = ["--cache-dir", join(scratch, "cache"), "--store", join(scratch, "store")];
    // One attempt: the demo's two-attempt instance fails and the first phase misses its target.
    const first = runCli(["ramp", plan, "--max-attempts", "1", "--timeout", "41", ...where]);
    expect(first.code, first.stderr).toBe(4);

    const refused = runCli(["ramp", plan, "--max-attempts", "6", ...where]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([
      "swegate: --max-attempts=6 contradicts run kept-calculator, started with max_attempts 1 (drop the flag to finish the ramp as started, or choose another --ramp-id)",
    ]);

    // Without the flag the ramp goes on as started: the next phase runs with one attempt too.
    const rest = runCli(["ramp", plan, "--continue-on-miss", ...where]);
    expect(rest.code, rest.stderr).toBe(0);
    const store = openStore(join(scratch, "store"));
    expect(store.getRun("kept-textutils")?.config).toMatchObject({
      ramp: "kept",
      phase: "textutils",
      max_attempts: 1,
      timeout: 41,
    });
    store.close();

    // A phase is a run: `swegate run --resume` of it keeps the same settings, with nothing unrecorded.
    const phase = runCli(["run", "--resume", "kept-calculator", "--json", ...where]);
    expect(phase.code, phase.stderr).toBe(0);
    expect(phase.stderr).toBe("");
    const contradicted = runCli(["run", "--resume", "kept-textutils", "--timeout", "1800", ...where]);
    expect(contradicted.code).toBe(2);
    expect(contradicted.stderr).toContain(
      "--timeout=1800 contradicts run kept-textutils, started with timeout 41",
    );
  }, 180_000);
});
