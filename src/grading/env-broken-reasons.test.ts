import { describe, expect, it } from "vitest";
import { classifyEnvironmentFailure, classifyInfrastructureFailure } from "./env-broken-reasons.js";

// Lines taken from real host runs of SWE-bench Lite instances (paths shortened).
describe("classifyEnvironmentFailure on real log lines", () => {
  it("names Python 3.10+'s removed collections aliases as interpreter incompatibility", () => {
    const log = [
      "ImportError while loading conftest '/w/conftest.py'.",
      "E   ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/python3.11/collections/__init__.py)",
    ].join("\n");
    expect(classifyEnvironmentFailure(log)).toMatchObject({
      reason: "interpreter_incompatibility",
      evidence: [
        "E   ImportError: cannot import name 'Mapping' from 'collections' (/usr/lib/python3.11/collections/__init__.py)",
      ],
    });
  });

  it("names an old assertion rewriter on a new AST (pytest 5.0 on 3.11)", () => {
    expect(classifyEnvironmentFailure('TypeError: required field "lineno" missing from alias')?.reason).toBe(
      "interpreter_incompatibility",
    );
  });

  it("names a missing module with the module", () => {
    const found = classifyEnvironmentFailure("ModuleNotFoundError: No module named 'atomicwrites'");
    expect(found).toMatchObject({ reason: "missing_dependency", module: "atomicwrites" });
  });

  it("takes the module of an import error from the line that names it, not the headline", () => {
    const log = [
      "_____ ERROR collecting tests/test_basic.py _____",
      "ImportError while importing test module '/w/tests/test_basic.py'.",
      "E   ImportError: cannot import name 'url_quote' from 'werkzeug.urls' (/usr/lib/python3/dist-packages/werkzeug/urls.py)",
    ].join("\n");
    expect(classifyEnvironmentFailure(log)).toMatchObject({
      reason: "import_error",
      module: "werkzeug.urls",
    });
  });

  it("names crashes, syntax errors and empty runs, and nothing in a normal failing run", () => {
    expect(classifyEnvironmentFailure("INTERNALERROR> Traceback (most recent call last):")?.reason).toBe(
      "runner_crashed",
    );
    expect(classifyEnvironmentFailure("E     SyntaxError: invalid syntax")?.reason).toBe("syntax_error");
    expect(classifyEnvironmentFailure("============ no tests ran in 0.01s ============")?.reason).toBe(
      "no_tests_ran",
    );
    expect(
      classifyEnvironmentFailure("FAILED tests/test_ops.py::test_divide - assert 0 == 0.5"),
    ).toBeUndefined();
  });
});

describe("classifyInfrastructureFailure (the harness's post-hoc tiers)", () => {
  it("separates environment faults from ambiguous ones", () => {
    expect(classifyInfrastructureFailure("curl: (6) Could not resolve host: httpbin.org")).toEqual({
      reason: "network_unreachable",
      tier: "environment",
    });
    expect(classifyInfrastructureFailure("\n\nTimeout error: 1800 seconds exceeded.")).toEqual({
      reason: "tests_timed_out",
      tier: "ambiguous",
    });
    expect(classifyInfrastructureFailure("1 passed in 0.1s")).toBeUndefined();
  });
});
