import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { specFor } from "./spec-for.js";
import { testCommand, testDirectives } from "./test-directives.js";

const rows = readFileSync(join(import.meta.dirname, "fixtures", "lite-sample.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line) => ({ ...JSON.parse(line), extra: {} }));
const row = (id: string) => rows.find((candidate) => candidate.instance_id === id);

describe("specs", () => {
  it("builds the official test command for every Lite sample row", () => {
    expect(testCommand(row("django__django-15738"))).toBe(
      "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 migrations.test_autodetector",
    );
    expect(testCommand(row("sympy__sympy-17139"))).toBe(
      "PYTHONWARNINGS='ignore::UserWarning,ignore::SyntaxWarning' bin/test -C --verbose sympy/simplify/tests/test_fu.py sympy/simplify/tests/test_simplify.py",
    );
    expect(testCommand(row("pallets__flask-4992"))).toBe("pytest -rA tests/test_config.py");
    for (const instance of rows) {
      const spec = specFor(instance);
      expect(spec.generic, instance.instance_id).toBe(false);
      expect(testDirectives(instance).length, instance.instance_id).toBeGreaterThan(0);
    }
  });

  it("drops non-test files the way the harness does", () => {
    const test_patch = [
      "diff --git a/tests/data/x.json b/tests/data/x.json",
      "diff --git a/tests/test_a.py b/tests/test_a.py",
      "diff --git a/docs/notes.md b/docs/notes.md",
      "diff --git a/t/data.csv b/t/data.csv",
    ].join("\n");
    expect(testDirectives({ repo: "pallets/flask", test_patch })).toEqual(["tests/test_a.py"]);
  });

  it("lets a row's own test_cmd and log_parser win, and runs unknown repositories as generic pytest", () => {
    const own = specFor({
      repo: "django/django",
      version: "3.0",
      extra: { test_cmd: "make check", log_parser: "parse_log_pytest" },
    });
    expect(own).toMatchObject({ test_cmd: "make check", log_parser: "parse_log_pytest" });
    expect(specFor({ repo: "me/mine", version: "0.1", extra: {} })).toMatchObject({
      test_cmd: "pytest -rA",
      log_parser: "parse_log_pytest",
      generic: true,
    });
  });
});
