import { describe, expect, it } from "vitest";
import { listPatchFiles } from "./list-patch-files.js";

describe("listPatchFiles", () => {
  it("names modified, added, deleted and renamed files in order", () => {
    const patch = [
      "diff --git a/src/a.py b/src/a.py",
      "--- a/src/a.py",
      "+++ b/src/a.py",
      "@@ -1 +1 @@",
      "-x",
      "+y",
      "diff --git a/tests/test_new.py b/tests/test_new.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/tests/test_new.py",
      "diff --git a/old.txt b/old.txt",
      "deleted file mode 100644",
      "diff --git a/m/one.py b/m/two.py",
      "similarity index 100%",
      "rename from m/one.py",
      "rename to m/two.py",
    ].join("\n");
    expect(listPatchFiles(patch)).toEqual([
      { path: "src/a.py", oldPath: "src/a.py", status: "modified" },
      { path: "tests/test_new.py", oldPath: "tests/test_new.py", status: "added" },
      { path: "old.txt", oldPath: "old.txt", status: "deleted" },
      { path: "m/two.py", oldPath: "m/one.py", status: "renamed" },
    ]);
  });

  it("splits a path that itself contains ' b/' where both halves agree", () => {
    const files = listPatchFiles("diff --git a/x b/y.py b/x b/y.py\n");
    expect(files).toEqual([{ path: "x b/y.py", oldPath: "x b/y.py", status: "modified" }]);
  });
});
