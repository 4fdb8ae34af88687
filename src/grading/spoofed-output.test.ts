import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildHarnessReport } from "./build-harness-report.js";
import { getLogParser } from "./log-parsers.js";
import { HARNESS_MARKERS } from "./select-graded-log.js";

// Real pytest runs of tests that print fake result lines. The parser must do what the harness does;
// where the harness is fooled, the test says so (the residual risk) and shows which check catches it.
const pytestWorks = spawnSync("python3", ["-m", "pytest", "--version"]).status === 0;
const scratch = mkdtempSync(join(tmpdir(), "swegate-spoof-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runPytest(name: string, body: string): { output: string; code: number } {
  const folder = mkdtempSync(join(scratch, "case-"));
  writeFileSync(join(folder, name), body);
  const result = spawnSync("python3", ["-m", "pytest", "-rA", "-p", "no:cacheprovider", name], {
    cwd: folder,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { output: `${result.stdout}${result.stderr}`, code: result.status ?? -1 };
}

// What the current harness's eval script writes around the test command.
const asCurrentHarnessLog = ({ output, code }: { output: string; code: number }) =>
  `+ git apply test.patch\n${HARNESS_MARKERS.start}\n${output}\n${HARNESS_MARKERS.end}\n${HARNESS_MARKERS.exitCode}: ${code}\n`;

const instance = (id: string) => ({
  instance_id: "me__mine-1",
  repo: "me/mine",
  version: "1",
  FAIL_TO_PASS: [id],
  PASS_TO_PASS: [],
  extra: {},
});

describe.skipIf(!pytestWorks)("fake PASSED lines in test output (needs python3 with pytest)", () => {
  it("a failing test that prints `PASSED <its id>` still grades as failed: the real summary line comes later", () => {
    const run = runPytest(
      "test_fake.py",
      'def test_a():\n    print("PASSED test_fake.py::test_a")\n    assert False\n',
    );
    // The fake line does reach the log at the start of a line (pytest -rA shows captured output)...
    expect(run.output.split("\n")).toContain("PASSED test_fake.py::test_a");
    // ...but the short test summary's FAILED line comes after it, and the last status wins.
    expect(getLogParser("parse_log_pytest")(run.output).get("test_fake.py::test_a")).toBe("FAILED");
    const report = buildHarnessReport({
      instance: instance("test_fake.py::test_a"),
      log: asCurrentHarnessLog(run),
      patch: "diff",
    })["me__mine-1"];
    expect(report?.resolved).toBe(false);
    expect(report?.tests_status?.FAIL_TO_PASS.failure).toEqual(["test_fake.py::test_a"]);
  });

  const hardExit = (code: number) =>
    [
      "import os",
      "def test_a(request):",
      "    # Escape pytest's capture, print a fake result, and die before the summary.",
      '    request.config.pluginmanager.getplugin("capturemanager").suspend_global_capture(in_=True)',
      '    print("\\nPASSED test_exit.py::test_a", flush=True)',
      `    os._exit(${code})`,
      "",
    ].join("\n");

  it("a test that prints a fake PASSED and hard-exits non-zero is voided by harness 5's exit-code check", () => {
    const run = runPytest("test_exit.py", hardExit(1));
    expect(run.code).toBe(1);
    expect(getLogParser("parse_log_pytest")(run.output).get("test_exit.py::test_a")).toBe("PASSED");
    const log = asCurrentHarnessLog(run);
    const current = buildHarnessReport({ instance: instance("test_exit.py::test_a"), log, patch: "d" })[
      "me__mine-1"
    ];
    expect(current).toMatchObject({ patch_successfully_applied: false, resolved: false });
    // Harness 4.x had no such check and was fooled.
    const old = buildHarnessReport({
      instance: instance("test_exit.py::test_a"),
      log,
      patch: "d",
      rules: "v4",
    });
    expect(old["me__mine-1"]?.resolved).toBe(true);
  });

  it("RESIDUAL RISK: the same trick exiting 0 fools the harness's rules too — swegate's gates must add more", () => {
    // The log then holds the fake line and no pytest summary at all; exit code 0 gives no signal.
    // Grading is exact to the harness here on purpose; the defence lives in the gates: per-run nonce
    // markers that test code cannot predict, and requiring pytest's own final summary line.
    const run = runPytest("test_exit.py", hardExit(0));
    expect(run.code).toBe(0);
    expect(run.output).not.toMatch(/\d+ (passed|failed)/);
    const log = asCurrentHarnessLog(run);
    expect(
      buildHarnessReport({ instance: instance("test_exit.py::test_a"), log, patch: "d" })["me__mine-1"]
        ?.resolved,
    ).toBe(true);
  });
});
