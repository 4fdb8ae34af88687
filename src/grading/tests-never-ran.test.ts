import { describe, expect, it } from "vitest";
import { testsNeverRan } from "./tests-never-ran.js";

const instance = {
  repo: "django/django",
  FAIL_TO_PASS: ["test_partial (utils_tests.test_decorators.MethodDecoratorTests)"],
  PASS_TO_PASS: ["test_other (utils_tests.test_decorators.MethodDecoratorTests)"],
};
const missing = Object.fromEntries(
  [...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS].map((id) => [id, "missing" as const]),
);
const patch = [
  "diff --git a/django/utils/decorators.py b/django/utils/decorators.py",
  "--- a/django/utils/decorators.py",
  "+++ b/django/utils/decorators.py",
  "@@ -1 +1,2 @@",
  " from functools import partial",
  "+from functools import wraps",
].join("\n");

describe("a candidate's run whose tests never ran", () => {
  it("is the environment's when a dependency is too old (bullseye's asgiref for Django 4)", () => {
    const log = [
      "Traceback (most recent call last):",
      '  File "/testbed/django/test/utils.py", line 7, in <module>',
      "    from asgiref.sync import iscoroutinefunction",
      "ImportError: cannot import name 'iscoroutinefunction' from 'asgiref.sync' (/usr/lib/python3/dist-packages/asgiref/sync.py)",
    ].join("\n");
    expect(testsNeverRan({ instance, patch, log, tests: missing })).toMatchObject({
      reason: "dependency_version",
    });
  });

  it("is the environment's when the environment could not be had, or nothing ran at all", () => {
    const log = "swegate: environment unavailable: debian-buster: cannot build it\n";
    expect(testsNeverRan({ instance, patch, log, tests: missing })?.reason).toBe("environment_unavailable");
    expect(
      testsNeverRan({ instance, patch, log: "Segmentation fault (core dumped)", tests: missing })?.reason,
    ).toBe("runner_crashed");
    expect(testsNeverRan({ instance, patch, log: "", tests: missing })?.reason).toBe("no_tests_ran");
  });

  it("is the candidate's when its change raised, it imports what is missing, or some test ran", () => {
    const syntax = [
      "Traceback (most recent call last):",
      '  File "/testbed/django/utils/decorators.py", line 2',
      "    def broken(:",
      "SyntaxError: invalid syntax",
    ].join("\n");
    expect(testsNeverRan({ instance, patch, log: syntax, tests: missing })).toBeUndefined();
    const ownImport = "ImportError: cannot import name 'method_decorator' from 'django.utils.decorators'";
    expect(testsNeverRan({ instance, patch, log: ownImport, tests: missing })).toBeUndefined();
    const added = `${patch}\n+import yaml_frobnicator`;
    const absent = "ModuleNotFoundError: No module named 'yaml_frobnicator'";
    expect(testsNeverRan({ instance, patch: added, log: absent, tests: missing })).toBeUndefined();
    expect(testsNeverRan({ instance, patch, log: absent, tests: missing })?.reason).toBe(
      "missing_dependency",
    );
    const ran = { ...missing, [instance.PASS_TO_PASS[0] as string]: "PASSED" as const };
    expect(testsNeverRan({ instance, patch, log: absent, tests: ran })).toBeUndefined();
  });
});
