import { describe, expect, it } from "vitest";
import { gradeInstance } from "./grade-instance.js";
import { getLogParser, logParserNames } from "./log-parsers.js";
import type { StatusMap } from "./test-status.js";

const map = (entries: Record<string, string>) => new Map(Object.entries(entries)) as StatusMap;

describe("gradeInstance (current harness rules)", () => {
  it("passes PASSED and XFAIL, fails FAILED, ERROR and missing tests", () => {
    const grade = gradeInstance(map({ a: "PASSED", b: "XFAIL", c: "FAILED", d: "ERROR" }), {
      FAIL_TO_PASS: ["a", "b", "c", "d", "missing"],
      PASS_TO_PASS: [],
    });
    expect(grade.tests_status.FAIL_TO_PASS).toEqual({ success: ["a", "b"], failure: ["c", "d", "missing"] });
    expect(grade.resolution).toBe("PARTIAL");
    expect(grade.resolved).toBe(false);
  });

  it("fails a SKIPPED F2P test but keeps a SKIPPED P2P test", () => {
    const grade = gradeInstance(map({ f: "SKIPPED", p: "SKIPPED" }), {
      FAIL_TO_PASS: ["f"],
      PASS_TO_PASS: ["p"],
    });
    expect(grade.tests_status.FAIL_TO_PASS.failure).toEqual(["f"]);
    expect(grade.tests_status.PASS_TO_PASS.success).toEqual(["p"]);
    expect(grade.resolution).toBe("NO");
  });

  it("scores empty lists as 1 and is FULL only when both groups score 1", () => {
    expect(gradeInstance(map({}), { FAIL_TO_PASS: [], PASS_TO_PASS: [] }).resolution).toBe("FULL");
    const regression = gradeInstance(map({ f: "PASSED", p: "FAILED" }), {
      FAIL_TO_PASS: ["f"],
      PASS_TO_PASS: ["p"],
    });
    expect(regression.resolution).toBe("NO");
  });

  it("matches a truncated parametrized id by prefix only when the candidates agree", () => {
    const agreeing = map({ "t.py::test_x[a b]": "PASSED", "t.py::test_x[a c]": "PASSED" });
    expect(gradeInstance(agreeing, { FAIL_TO_PASS: ["t.py::test_x[a"], PASS_TO_PASS: [] }).resolved).toBe(
      true,
    );
    const disagreeing = map({ "t.py::test_x[a b]": "PASSED", "t.py::test_x[a c]": "FAILED" });
    expect(gradeInstance(disagreeing, { FAIL_TO_PASS: ["t.py::test_x[a"], PASS_TO_PASS: [] }).resolved).toBe(
      false,
    );
    // A closed id never prefix-matches.
    expect(gradeInstance(agreeing, { FAIL_TO_PASS: ["t.py::test_x[a]"], PASS_TO_PASS: [] }).resolved).toBe(
      false,
    );
  });

  it("reproduces the historical rules: v2 drops XFAIL and SKIPPED, v4 drops SKIPPED", () => {
    const statuses = map({ x: "XFAIL", s: "SKIPPED", p: "PASSED" });
    const expected = { FAIL_TO_PASS: ["p", "x", "s"], PASS_TO_PASS: [] };
    expect(gradeInstance(statuses, expected, "v2").tests_status.FAIL_TO_PASS).toEqual({
      success: ["p"],
      failure: [],
    });
    expect(gradeInstance(statuses, expected, "v4").tests_status.FAIL_TO_PASS).toEqual({
      success: ["p", "x"],
      failure: [],
    });
    expect(gradeInstance(statuses, expected, "v5").tests_status.FAIL_TO_PASS).toEqual({
      success: ["p", "x"],
      failure: ["s"],
    });
  });
});

describe("log parsers on real log excerpts", () => {
  it("registers every parser specs.json names", async () => {
    const specs = (await import("../../data/specs.json", { with: { type: "json" } })).default as Record<
      string,
      Record<string, { log_parser?: string }>
    >;
    const named = new Set(
      Object.values(specs).flatMap((versions) => Object.values(versions).map((spec) => spec.log_parser)),
    );
    for (const name of named) if (name) expect(logParserNames()).toContain(name);
  });

  it("pytest: ids cut at the first space, FAILED messages dropped, skip summaries ignored (v5)", () => {
    const log = [
      "PASSED tests/test_basic.py::test_method_route_no_methods",
      "FAILED tests/test_config.py::test_config_from_file_toml - TypeError: load() missing",
      "SKIPPED [1] tests/test_a.py:12: needs network",
      "PASSED tests/test_x.py::test_p[a b]",
      "PASSED",
    ].join("\n");
    const statuses = getLogParser("parse_log_pytest")(log);
    expect(Object.fromEntries(statuses)).toEqual({
      "tests/test_basic.py::test_method_route_no_methods": "PASSED",
      "tests/test_config.py::test_config_from_file_toml": "FAILED",
      "tests/test_x.py::test_p[a": "PASSED",
    });
    expect(getLogParser("parse_log_pytest", "v4")(log).get("[1]")).toBe("SKIPPED");
  });

  it("pytest options: an absolute-path parameter keeps only its last component", () => {
    const statuses = getLogParser("parse_log_requests")(
      "PASSED test_requests.py::test_x[/tmp/abc/file.txt]\n",
    );
    expect([...statuses.keys()]).toEqual(["test_requests.py::test_x[/file.txt]"]);
  });

  it("pytest v2: colour codes stripped; v5 keeps spaces in ids", () => {
    const line =
      "\u001b[32mPASSED\u001b[0m astropy/units/tests/test_format.py::\u001b[1mtest_cds_grammar_fail[km / s]\u001b[0m";
    expect([...getLogParser("parse_log_astropy")(line).keys()]).toEqual([
      "astropy/units/tests/test_format.py::test_cds_grammar_fail[km / s]",
    ]);
    expect([...getLogParser("parse_log_astropy", "v2")(line).keys()]).toEqual([
      "astropy/units/tests/test_format.py::test_cds_grammar_fail[km",
    ]);
  });

  it("django: verbose lines, docstring ids, FAIL:/ERROR: headers and a late ok", () => {
    const log = [
      "test_ordering (ordering.tests.OrderingTests) ... ok",
      "A docstring first line used as the id. ... FAIL",
      "test_boom (x.tests.T) ... ERROR",
      "test_skip (x.tests.T) ... skipped 'no db'",
      "test_noisy (x.tests.T) ... some output",
      "ok",
      "FAIL: test_other (x.tests.T)",
    ].join("\n");
    expect(Object.fromEntries(getLogParser("parse_log_django")(log))).toEqual({
      "test_ordering (ordering.tests.OrderingTests)": "PASSED",
      "A docstring first line used as the id.": "FAILED",
      "test_boom (x.tests.T)": "ERROR",
      "test_skip (x.tests.T)": "SKIPPED",
      "test_noisy (x.tests.T)": "PASSED",
      test_other: "FAILED",
    });
  });

  it("sympy: bare names with ok/F/E and failure headers", () => {
    const log = [
      "test_evalf_bugs F",
      "test_evalf_basic ok",
      "test_boom E",
      "____ sympy/core/tests/test_evalf.py:test_evalf_bugs ____",
    ].join("\n");
    expect(Object.fromEntries(getLogParser("parse_log_sympy")(log))).toEqual({
      "sympy/core/tests/test_evalf.py:test_evalf_bugs": "FAILED",
      test_evalf_bugs: "FAILED",
      test_evalf_basic: "PASSED",
      test_boom: "ERROR",
    });
  });

  it("seaborn: progress lines and summary lines", () => {
    const log = [
      "tests/test_a.py::test_x PASSED [ 10%]",
      "FAILED tests/test_a.py::test_y - boom",
      "PASSED tests/test_a.py::test_z",
    ].join("\n");
    expect(Object.fromEntries(getLogParser("parse_log_seaborn")(log))).toEqual({
      "tests/test_a.py::test_x": "PASSED",
      "tests/test_a.py::test_y": "FAILED",
      "tests/test_a.py::test_z": "PASSED",
    });
  });

  it("matplotlib: mouse buttons by value", () => {
    const statuses = getLogParser("parse_log_matplotlib")("PASSED lib/t.py::test_click[MouseButton.LEFT]\n");
    expect([...statuses.keys()]).toEqual(["lib/t.py::test_click[1]"]);
  });

  it("an unknown parser name is a user error naming the known ones", () => {
    expect(() => getLogParser("parse_log_nope")).toThrow(/unknown log parser "parse_log_nope"/);
    try {
      getLogParser("parse_log_nope");
    } catch (error) {
      expect((error as { oneLine(): string }).oneLine()).toContain("known: parse_log_pytest");
    }
  });
});
