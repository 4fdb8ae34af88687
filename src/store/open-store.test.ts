import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { artifactPaths } from "./open-store.js";

describe("artifactPaths", () => {
  it("lays out runs/<run>/<instance> under the store", () => {
    const paths = artifactPaths(join("store"), "run-1", "django__django-11099");
    expect(paths.dir).toBe(join("store", "runs", "run-1", "django__django-11099"));
    expect(paths.attemptLog(2)).toBe(join(paths.dir, "attempt-2.log"));
  });

  it("refuses, as a bug, a run or instance id that would leave the store", () => {
    // Plain Error, not UserError: ids are checked where they enter, so this is the last guard.
    for (const [runId, instanceId] of [
      ["../../X", "django__django-11099"],
      ["run-1", "../../../../X"],
      ["run-1", ".."],
      ["..", "django__django-11099"],
      ["run-1", ""],
    ]) {
      expect(() => artifactPaths("store", runId as string, instanceId as string)).toThrow(
        /^unsafe (run|instance) id reached the store: /,
      );
    }
  });
});
