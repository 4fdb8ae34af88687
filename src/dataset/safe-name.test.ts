import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { requireSafeName, unsafeNameProblem } from "./safe-name.js";

describe("unsafeNameProblem", () => {
  it("accepts SWE-bench ids, run ids and harness model folders", () => {
    for (const name of [
      "django__django-11099",
      "owner__repo-123",
      "swegate-demo__calculator-1",
      "scikit-learn__scikit-learn-10297",
      "2026-01-01T00-00-00-abc123",
      "openai__gpt-5-mini",
      "claude-3.5",
      "x".repeat(200),
    ])
      expect(unsafeNameProblem(name), name).toBeUndefined();
  });

  it("refuses separators, dot names, control characters, empty and very long names", () => {
    expect(unsafeNameProblem("../../../../X")).toMatch(/path separator/);
    expect(unsafeNameProblem("a/b")).toMatch(/path separator/);
    expect(unsafeNameProblem("..\\..\\X")).toMatch(/path separator/);
    expect(unsafeNameProblem("..")).toMatch(/starts with a dot/);
    expect(unsafeNameProblem(".")).toMatch(/starts with a dot/);
    expect(unsafeNameProblem(".hidden")).toMatch(/starts with a dot/);
    expect(unsafeNameProblem("a\nb")).toMatch(/control character/);
    expect(unsafeNameProblem("a\u0000b")).toMatch(/control character/);
    expect(unsafeNameProblem("")).toMatch(/empty/);
    expect(unsafeNameProblem("   ")).toMatch(/empty/);
    expect(unsafeNameProblem("x".repeat(201))).toMatch(/longer than 200 bytes/);
    // Bytes, not characters: the filesystem counts bytes.
    expect(unsafeNameProblem("é".repeat(101))).toMatch(/longer than 200 bytes/);
  });
});

describe("requireSafeName", () => {
  it("returns a safe name and throws one line naming the option for an unsafe one", () => {
    expect(requireSafeName("run-1", "run id", "--run-id=run-1")).toBe("run-1");
    let error: unknown;
    try {
      requireSafeName("../../X", "run id", "--run-id=../../X");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).oneLine()).toBe(
      '--run-id=../../X: run id "../../X" contains a path separator (/ or \\) (give a plain name such as django__django-11099)',
    );
  });
});
