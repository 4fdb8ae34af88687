import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getLogParser } from "../log-parsers.js";

// Excerpts of real logs graded by the official harness (fixtures/official-sample), picked by content.
const root = join(import.meta.dirname, "..", "fixtures", "official-sample");
const logLines = (id: string) => readFileSync(join(root, id, "test_output.txt"), "utf8").split("\n");
const excerpt = (id: string, keep: (line: string) => boolean) => logLines(id).filter(keep).join("\n");

describe("parsers on real official log excerpts", () => {
  it("django: interleaved verbose lines make a joined id, and FAIL: headers key by the bare name", () => {
    const log = excerpt("django__django-12125", (line) => line.includes("test_serialize_n"));
    const statuses = getLogParser("parse_log_django")(log);
    // The real run printed two tests on one line; the harness keys the pass by everything before " ... ok".
    expect(
      statuses.get(
        "test_serialize_nested_class (migrations.test_writer.WriterTests) ... test_serialize_numbers (migrations.test_writer.WriterTests)",
      ),
    ).toBe("PASSED");
    expect(statuses.get("test_serialize_nested_class")).toBe("FAILED");
    // So the dataset's id is missing from the map, which grading counts as a failure.
    expect(statuses.has("test_serialize_nested_class (migrations.test_writer.WriterTests)")).toBe(false);
  });

  it("sympy: bare names and the failure header's path:name", () => {
    const log = excerpt(
      "sympy__sympy-16792",
      (line) => line.startsWith("test_ccode_") || line.includes("test_codegen.py:test_ccode_unused"),
    );
    const statuses = getLogParser("parse_log_sympy")(log);
    expect(statuses.get("test_ccode_unused_array_arg")).toBe("FAILED");
    expect(statuses.get("test_ccode_cse")).toBe("PASSED");
    expect(statuses.get("sympy/utilities/tests/test_codegen.py:test_ccode_unused_array_arg")).toBe("FAILED");
  });

  it("seaborn: XFAIL summary lines are not read at all (the parser knows only PASSED and FAILED)", () => {
    const log = excerpt("mwaskom__seaborn-3069", (line) =>
      /^(XFAIL|PASSED) tests\/_core\/test_plot.py::/.test(line),
    );
    const statuses = getLogParser("parse_log_seaborn")(log);
    expect(statuses.get("tests/_core/test_plot.py::TestInit::test_empty")).toBe("PASSED");
    expect(statuses.has("tests/_core/test_plot.py::TestLayerAddition::test_stat_default")).toBe(false);
    expect([...statuses.values()].every((status) => status === "PASSED")).toBe(true);
  });

  it("matplotlib: the `SKIPPED [1]` summary is a test id before harness 5 and ignored since", () => {
    const log = excerpt("matplotlib__matplotlib-25479", (line) => /^(SKIPPED|FAILED) /.test(line));
    const current = getLogParser("parse_log_matplotlib")(log);
    expect(current.has("[1]")).toBe(false);
    expect(current.get("lib/matplotlib/tests/test_colors.py::test_colormap_equals")).toBe("FAILED");
    expect(getLogParser("parse_log_matplotlib", "v4")(log).get("[1]")).toBe("SKIPPED");
  });

  it("astropy (pytest v2): colour codes stripped; ids with spaces cut before harness 5, kept since", () => {
    const log = excerpt("astropy__astropy-14369", (line) => line.includes("test_cds_grammar_fail[km"));
    const current = getLogParser("parse_log_astropy")(log);
    expect(current.get("astropy/units/tests/test_format.py::test_cds_grammar_fail[km / s]")).toBe("PASSED");
    const old = getLogParser("parse_log_astropy", "v2")(log);
    expect(old.has("astropy/units/tests/test_format.py::test_cds_grammar_fail[km")).toBe(true);
    expect(old.has("astropy/units/tests/test_format.py::test_cds_grammar_fail[km / s]")).toBe(false);
  });

  it("requests (pytest options): plain ids pass through unchanged", () => {
    const log = excerpt("psf__requests-1766", (line) => line.startsWith("PASSED test_requests.py::"));
    const statuses = getLogParser("parse_log_requests")(log);
    expect(statuses.get("test_requests.py::RequestsTestCase::test_DIGESTAUTH_QUOTES_QOP_VALUE")).toBe(
      "PASSED",
    );
  });
});
