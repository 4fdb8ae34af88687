import { describe, expect, it } from "vitest";
import { buildHarnessReport } from "./build-harness-report.js";
import { HARNESS_MARKERS, selectGradedLog } from "./select-graded-log.js";

const { start, end, exitCode } = HARNESS_MARKERS;
const instance = {
  instance_id: "me__mine-1",
  repo: "me/mine",
  version: "1",
  FAIL_TO_PASS: ["t.py::test_a"],
  PASS_TO_PASS: [],
  extra: {},
};
const grade = (log: string, rules: "v2" | "v4" | "v5" = "v5") =>
  buildHarnessReport({ instance, log, patch: "diff", rules })["me__mine-1"];

describe("selectGradedLog (get_logs_eval's choice of what to grade)", () => {
  it("grades between the first start marker and the next end marker, reading the exit code after", () => {
    const log = `PASSED t.py::before\n${start}\nPASSED t.py::test_a\n${end}\n${exitCode}: 0\nPASSED t.py::after\n`;
    expect(selectGradedLog(log)).toEqual({
      kind: "marked",
      text: "\nPASSED t.py::test_a\n",
      whole: log,
      exitCode: 0,
    });
  });

  it("voids a run on any failure code, or when only one marker is present", () => {
    expect(selectGradedLog(`${start}\n>>>>> Patch Apply Failed\n${end}`)).toEqual({
      kind: "void",
      reason: "patch_apply_failed",
    });
    expect(selectGradedLog(`>>>>> Tests Timed Out\n${start}\n${end}`)).toMatchObject({
      reason: "tests_timed_out",
    });
    expect(selectGradedLog(`${start}\nPASSED t.py::test_a\n`)).toEqual({
      kind: "void",
      reason: "markers_missing",
    });
    expect(grade(`${start}\nPASSED t.py::test_a\n`)).toMatchObject({ patch_successfully_applied: false });
  });

  it("grades a 2.x log (no markers) after the prediction's Applied Patch line; no applied line voids it", () => {
    const log = "PASSED t.py::test_a\n>>>>> Applied Patch (pred)\nFAILED t.py::test_a\n";
    expect(selectGradedLog(log)).toEqual({ kind: "unmarked", text: "\nFAILED t.py::test_a\n" });
    expect(grade(log, "v2")?.resolved).toBe(false);
    expect(selectGradedLog("PASSED t.py::test_a\n")).toEqual({ kind: "void", reason: "patch_not_applied" });
    expect(selectGradedLog("Applied patch x\nFailed to reset task environment\n")).toMatchObject({
      reason: "reset_failed",
    });
  });
});

describe("harness 5's extra checks on marked logs", () => {
  it("falls back to the whole log when nothing parses between the markers (v5 only)", () => {
    const log = `${start}\nnothing here\n${end}\nPASSED t.py::test_a\n`;
    expect(grade(log)).toMatchObject({ patch_successfully_applied: true, resolved: true });
    expect(grade(log, "v4")).toMatchObject({ patch_successfully_applied: true, resolved: false });
  });

  it("voids a run where nothing parsed and nothing shows a suite ran; a real count keeps it", () => {
    expect(grade(`${start}\ncrashed\n${end}\n`)).toMatchObject({ patch_successfully_applied: false });
    expect(grade(`${start}\n3 passing\n${end}\n`)).toMatchObject({ patch_successfully_applied: true });
    expect(grade(`${start}\n0 passing\n${end}\n`)).toMatchObject({ patch_successfully_applied: false });
  });

  it("voids PASSED-only results whose recorded exit code is non-zero; a FAILED line keeps the run", () => {
    expect(grade(`${start}\nPASSED t.py::test_a\n${end}\n${exitCode}: 1\n`)).toMatchObject({
      patch_successfully_applied: false,
      resolved: false,
    });
    const honest = grade(`${start}\nPASSED t.py::test_a\nFAILED t.py::other\n${end}\n${exitCode}: 1\n`);
    expect(honest).toMatchObject({ patch_successfully_applied: true, resolved: true });
  });

  it("reports a null patch as patch_is_None without reading the log", () => {
    expect(buildHarnessReport({ instance, log: "", patch: null })["me__mine-1"]).toEqual({
      patch_is_None: true,
      patch_exists: false,
      patch_successfully_applied: false,
      resolved: false,
    });
  });
});
