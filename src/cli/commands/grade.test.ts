import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../test-support/run-cli.js";

const sample = join(import.meta.dirname, "..", "..", "grading", "fixtures", "official-sample");
const scratch = mkdtempSync(join(tmpdir(), "swegate-grade-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeRow(id: string, row: Record<string, unknown>): string {
  const path = join(scratch, `${id}.json`);
  writeFileSync(path, JSON.stringify(row));
  return path;
}

describe("swegate grade", () => {
  it("prints the official report.json for a real evaluation (2024 rules), and a human line on request", () => {
    const id = "django__django-13933";
    const expected = JSON.parse(readFileSync(join(sample, id, "report.json"), "utf8"));
    const status = expected[id].tests_status;
    const row = writeRow(id, {
      instance_id: id,
      repo: "django/django",
      version: "4.0",
      // The dataset stores these JSON-encoded; both forms are accepted.
      FAIL_TO_PASS: JSON.stringify([...status.FAIL_TO_PASS.success, ...status.FAIL_TO_PASS.failure]),
      PASS_TO_PASS: [...status.PASS_TO_PASS.success, ...status.PASS_TO_PASS.failure],
    });
    const log = join(sample, id, "test_output.txt");
    const args = ["grade", "--log", log, "--instance", row, "--patch", join(sample, id, "patch.diff")];
    const result = runCli([...args, "--rules", "v2"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expected);
    const human = runCli([...args, "--human"]);
    expect(human.stdout.trim()).toBe(
      `${id}: ${expected[id].resolved ? "resolved" : "not resolved"} (FAIL_TO_PASS ${status.FAIL_TO_PASS.success.length}/${status.FAIL_TO_PASS.success.length + status.FAIL_TO_PASS.failure.length} pass, PASS_TO_PASS ${status.PASS_TO_PASS.success.length}/${status.PASS_TO_PASS.success.length + status.PASS_TO_PASS.failure.length} pass)`,
    );
  });

  it("names a missing field, a bad list and a bad rule set in one line with exit code 2", () => {
    const log = join(sample, "pallets__flask-5014", "test_output.txt");
    const missing = writeRow("missing", { instance_id: "x", repo: "pallets/flask", FAIL_TO_PASS: [] });
    const result = runCli(["grade", "--log", log, "--instance", missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--instance=${missing}: missing field PASS_TO_PASS`);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    const badList = writeRow("bad", {
      instance_id: "x",
      repo: "r/r",
      FAIL_TO_PASS: "[oops",
      PASS_TO_PASS: [],
    });
    expect(runCli(["grade", "--log", log, "--instance", badList]).stderr).toContain(
      "field FAIL_TO_PASS is a string but not a JSON list",
    );
    const rules = runCli(["grade", "--log", log, "--instance", missing, "--rules", "v3"]);
    expect(rules.code).toBe(2);
    expect(rules.stderr).toContain("--rules=v3: unknown rules");
  });
});
