import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { specFor } from "../specs/spec-for.js";
import { getLogParser } from "./log-parsers.js";
import { junitAddress, parseJunitXml } from "./parse-junit-xml.js";
import { findRunnerSummary, judgeEvidence, type TestRunner } from "./test-evidence.js";

const pytestWorks = spawnSync("python3", ["-m", "pytest", "--version"]).status === 0;
const scratch = mkdtempSync(join(tmpdir(), "swegate-evidence-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const parsePytest = getLogParser("parse_log_pytest");

/** A real pytest run of one test file, with the JUnit report written beside it. */
function runPytest(files: Record<string, string>, target: string, extra: string[] = []) {
  const folder = mkdtempSync(join(scratch, "case-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(folder, name), body);
  const junitPath = join(folder, "junit.xml");
  const result = spawnSync(
    "python3",
    ["-m", "pytest", "-rA", "-p", "no:cacheprovider", ...extra, target, `--junitxml=${junitPath}`],
    { cwd: folder, encoding: "utf8", timeout: 120_000 },
  );
  let junit: string | null = null;
  try {
    junit = readFileSync(junitPath, "utf8");
  } catch {
    junit = null;
  }
  return { log: `${result.stdout}${result.stderr}`, exitCode: result.status ?? -1, junit };
}

const judge = (run: ReturnType<typeof runPytest>, F2P: string[], P2P: string[] = []) =>
  judgeEvidence({
    runner: "pytest",
    log: run.log,
    parse: parsePytest,
    statuses: parsePytest(run.log),
    exitCode: run.exitCode,
    junit: run.junit,
    expected: { FAIL_TO_PASS: F2P, PASS_TO_PASS: P2P },
  });

describe.skipIf(!pytestWorks)("evidence from real pytest runs (needs python3 with pytest)", () => {
  it("parses the statuses pytest's JUnit report gives, parametrized ids and classes included", () => {
    const run = runPytest(
      {
        "test_mix.py": [
          "import pytest",
          "def test_pass(): pass",
          "def test_fail(): assert False",
          "@pytest.mark.skip(reason='no')",
          "def test_skip(): pass",
          "@pytest.mark.xfail",
          "def test_xfail(): assert False",
          "@pytest.fixture",
          "def broken(): raise RuntimeError('setup')",
          "def test_error(broken): pass",
          "@pytest.mark.parametrize('x', ['a b', '<&>'])",
          "def test_param(x): pass",
          "class TestKlass:",
          "    def test_method(self): pass",
          "",
        ].join("\n"),
      },
      "test_mix.py",
    );
    const cases = parseJunitXml(run.junit ?? "");
    const status = (id: string) => {
      const address = junitAddress(id);
      return cases.find((c) => c.classname === address.classname && c.name === address.name)?.status;
    };
    expect(status("test_mix.py::test_pass")).toBe("PASSED");
    expect(status("test_mix.py::test_fail")).toBe("FAILED");
    expect(status("test_mix.py::test_skip")).toBe("SKIPPED");
    expect(status("test_mix.py::test_xfail")).toBe("XFAIL");
    expect(status("test_mix.py::test_error")).toBe("ERROR");
    expect(status("test_mix.py::test_param[a b]")).toBe("PASSED");
    expect(status("test_mix.py::test_param[<&>]")).toBe("PASSED");
    expect(status("test_mix.py::TestKlass::test_method")).toBe("PASSED");
  });

  it("an honest run agrees on every count: exit status, summary and JUnit report", () => {
    const run = runPytest({ "test_ok.py": "def test_a(): pass\ndef test_b(): assert False\n" }, "test_ok.py");
    const checks = judge(run, ["test_ok.py::test_a"]);
    expect(checks.map((check) => check.kind)).toEqual(["runner_summary", "exit_code", "junit"]);
    expect(checks.every((check) => check.ok)).toBe(true);
  });

  it("attack: an exit hook printing `PASSED <id>` after the summary and exiting 0 disagrees three ways", () => {
    const run = runPytest(
      {
        "test_fake.py": [
          "import atexit, os, sys",
          "def _forge():",
          "    sys.stdout.write('PASSED test_fake.py::test_a\\n'); sys.stdout.flush(); os._exit(0)",
          "atexit.register(_forge)",
          "def test_a(): assert False",
          "",
        ].join("\n"),
      },
      "test_fake.py",
    );
    // The harness-compatible parse is fooled: the last status wins, and the process exits 0.
    expect(parsePytest(run.log).get("test_fake.py::test_a")).toBe("PASSED");
    expect(run.exitCode).toBe(0);
    const checks = judge(run, ["test_fake.py::test_a"]);
    expect(checks.filter((check) => !check.ok).map((check) => check.kind)).toEqual([
      "runner_summary",
      "exit_code",
      "junit",
    ]);
  });

  it("attack: a run that prints passes and dies before pytest writes anything has no summary and no report", () => {
    const run = runPytest(
      {
        "test_die.py":
          "import os\ndef test_a():\n    print('\\nPASSED test_die.py::test_a', flush=True)\n    os._exit(0)\n",
      },
      "test_die.py",
      // Uncaptured, as if the test had found pytest's saved descriptor of the real output.
      ["-s"],
    );
    expect(parsePytest(run.log).get("test_die.py::test_a")).toBe("PASSED");
    expect(run.junit).toBeNull();
    const bad = judge(run, ["test_die.py::test_a"]).filter((check) => !check.ok);
    expect(bad.map((check) => check.kind).sort()).toEqual(["junit", "runner_summary"]);
  });
});

describe("the runner's summary in real official logs", () => {
  const root = join(import.meta.dirname, "fixtures", "official-sample");
  for (const id of readdirSync(root).sort()) {
    it(`${id}: an official log reports no pass after its runner's summary`, () => {
      const log = readFileSync(join(root, id, "test_output.txt"), "utf8");
      const row = JSON.parse(readFileSync(join(root, id, "instance.json"), "utf8"));
      const spec = specFor({ ...row, version: "", extra: {} });
      const runner: TestRunner =
        spec.log_parser === "parse_log_django"
          ? "django"
          : spec.log_parser === "parse_log_sympy"
            ? "sympy"
            : "pytest";
      const summary = findRunnerSummary(runner, log);
      expect(summary, "the runner's summary is found").toBeDefined();
      const parse = getLogParser(spec.log_parser);
      // These 2024 logs carry no exit status: take the one the runner's summary implies.
      const checks = judgeEvidence({
        runner,
        log,
        parse,
        statuses: parse(log),
        exitCode: summary?.failures ? 1 : 0,
        expected: row,
      });
      expect(checks.filter((check) => !check.ok)).toEqual([]);
    });
  }

  it("reads Django's and sympy's verdicts from their summaries", () => {
    expect(findRunnerSummary("django", "Ran 3 tests in 0.1s\n\nFAILED (failures=1)\n")?.failures).toBe(true);
    expect(findRunnerSummary("django", "Ran 3 tests in 0.1s\n\nOK (skipped=1)\n")?.failures).toBe(false);
    const sympy = "===== tests finished: 5 passed, 1 failed, in 0.12 seconds =====\n";
    expect(findRunnerSummary("sympy", sympy)?.failures).toBe(true);
    expect(
      findRunnerSummary("sympy", "== tests finished: 5 passed, 1 expected to fail, in 1.00 seconds ==\n")
        ?.failures,
    ).toBe(false);
  });

  it("attack on Django: an `... ok` line printed after `FAILED (failures=1)` and exit 0 is caught", () => {
    const parse = getLogParser("parse_log_django");
    const log = [
      "test_a (app.tests.T) ... FAIL",
      "test_b (app.tests.T) ... ok",
      "",
      "Ran 2 tests in 0.01s",
      "",
      "FAILED (failures=1)",
      "test_a (app.tests.T) ... ok",
      "",
    ].join("\n");
    const checks = judgeEvidence({
      runner: "django",
      log,
      parse,
      statuses: parse(log),
      exitCode: 0,
      expected: { FAIL_TO_PASS: ["test_a (app.tests.T)"], PASS_TO_PASS: ["test_b (app.tests.T)"] },
    });
    expect(parse(log).get("test_a (app.tests.T)")).toBe("PASSED");
    expect(checks.filter((check) => !check.ok).map((check) => check.kind)).toEqual([
      "runner_summary",
      "exit_code",
    ]);
  });
});
