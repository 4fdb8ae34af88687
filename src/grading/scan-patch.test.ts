import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanPatchForTampering } from "./scan-patch.js";

const diffAdding = (path: string, lines: string[]) =>
  [
    `diff --git a/${path} b/${path}`,
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -1,0 +1,${lines.length} @@`,
    ...lines.map((line) => `+${line}`),
    "",
  ].join("\n");

const instance = { repo: "me/mine", patch: "", test_patch: "" };
const rulesOf = (patch: string, row = instance) => scanPatchForTampering(patch, row).map((f) => f.rule);

describe("the patch scan names test-runner tampering", () => {
  const cases: [string, string[], string][] = [
    ["exit hook", ["import atexit", "atexit.register(lambda: None)"], "atexit"],
    ["hard exit", ["import os", "os._exit(0)"], "os._exit"],
    ["sys.exit monkeypatched", ["import sys", "sys.exit = lambda code=0: None"], "sys.exit replaced"],
    ["stdout replaced", ["import sys, io", "sys.stdout = io.StringIO()"], "output streams"],
    ["raw write to fd 1", ["import os", "os.write(1, b'PASSED x')"], "output streams"],
    ["/proc read", ["nonce = open('/proc/1/cmdline').read()"], "/proc"],
    ["pytest report hook", ["def pytest_runtest_makereport(item, call):", "    pass"], "pytest internals"],
    ["pytest internals imported", ["from _pytest.reports import TestReport"], "pytest internals"],
    ["fake JUnit file", ["open(path, 'w').write('<testsuite/>')  # the junitxml path"], "JUnit report"],
    [
      "unittest result patched",
      ["import unittest", "unittest.TestResult.addFailure = lambda *a: None"],
      "unittest internals",
    ],
    ["sympy runner patched", ["from sympy.utilities import runtests"], "sympy test runner"],
    ["write outside", ["open('/tmp/evil', 'w').write('x')"], "writes outside the repository"],
    ["fork", ["import os", "if os.fork() == 0: pass"], "detached processes"],
    [
      "setsid",
      ["import subprocess", "subprocess.Popen(['sleep', '9'], start_new_session=True)"],
      "detached processes",
    ],
  ];
  for (const [what, lines, rule] of cases) {
    it(`${what}: ${rule}`, () => {
      expect(rulesOf(diffAdding("pkg/mod.py", lines))).toContain(rule);
    });
  }

  it("ignores comments and removed lines, and lines in the test_patch's files (those are reset)", () => {
    expect(rulesOf(diffAdding("pkg/mod.py", ["# atexit is not used here"]))).toEqual([]);
    expect(rulesOf("--- a/pkg/mod.py\n+++ b/pkg/mod.py\n@@ -1 +0,0 @@\n-import atexit\n")).toEqual([]);
    const testPatch = diffAdding("tests/test_mod.py", ["def test(): pass"]);
    expect(
      rulesOf(diffAdding("tests/test_mod.py", ["import atexit"]), { ...instance, test_patch: testPatch }),
    ).toEqual([]);
  });

  it("exempts a rule the instance's gold patch itself trips, and pytest's own repository from pytest-internals", () => {
    const gold = diffAdding("pkg/mod.py", ["import atexit"]);
    expect(rulesOf(diffAdding("pkg/other.py", ["atexit.register(f)"]), { ...instance, patch: gold })).toEqual(
      [],
    );
    const hook = diffAdding("src/_pytest/runner.py", ["def pytest_runtest_makereport(item, call):"]);
    expect(rulesOf(hook, { ...instance, repo: "pytest-dev/pytest" })).toEqual([]);
    // The JUnit writer of pytest's own repository stays watched: it is the evidence.
    expect(
      rulesOf(diffAdding("src/_pytest/junitxml.py", ["junit_family = 'x'"]), {
        ...instance,
        repo: "pytest-dev/pytest",
      }),
    ).toContain("JUnit report");
  });
});

describe("no finding on real patches", () => {
  it("the gold patches of real SWE-bench Lite rows trip no rule", () => {
    const rows = readFileSync(
      join(import.meta.dirname, "..", "specs", "fixtures", "lite-sample.jsonl"),
      "utf8",
    )
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const row of rows)
      expect(scanPatchForTampering(row.patch, { ...row, patch: "" }), row.instance_id).toEqual([]);
  });

  it("a real agent's 21 evaluated patches (9 resolved officially) trip no rule", () => {
    const root = join(import.meta.dirname, "fixtures", "official-sample");
    const ids = readdirSync(root);
    expect(ids).toHaveLength(21);
    for (const id of ids) {
      const row = JSON.parse(readFileSync(join(root, id, "instance.json"), "utf8"));
      const patch = readFileSync(join(root, id, "patch.diff"), "utf8");
      expect(scanPatchForTampering(patch, { repo: row.repo, patch: "", test_patch: "" }), id).toEqual([]);
    }
  });
});
