import { describe, expect, it } from "vitest";
import type { ContextFile } from "./render-context-file.js";
import { readPatchHunks, scoreContext } from "./score-context.js";

// Shaped like a real gold patch: two hunks in one file (a changed line, an added import) and a new file.
const patch = [
  "diff --git a/pkg/core.py b/pkg/core.py",
  "--- a/pkg/core.py",
  "+++ b/pkg/core.py",
  "@@ -1,3 +1,4 @@",
  " import os",
  "+import re",
  " ",
  " ",
  "@@ -40,4 +41,4 @@ def run(args):",
  "     value = args[0]",
  "-    return value",
  "+    return value.strip()",
  " ",
  "diff --git a/pkg/extra.py b/pkg/extra.py",
  "new file mode 100644",
  "--- /dev/null",
  "+++ b/pkg/extra.py",
  "@@ -0,0 +1 @@",
  "+X = 1",
  "",
].join("\n");

const file = (ranges: [number, number][] | null): ContextFile => ({
  path: "pkg/core.py",
  reason: "symbol",
  ranges,
  lineCount: 100,
  sections: [],
});

describe("scoring a context against the gold patch", () => {
  it("reads hunks as old-file lines and leaves out files the patch creates", () => {
    expect(readPatchHunks(patch)).toEqual([
      { path: "pkg/core.py", removed: [], insertedAfter: [1] },
      { path: "pkg/core.py", removed: [41], insertedAfter: [41] },
    ]);
  });

  it("counts a hunk only when its lines are in verbatim text, and a file shown in any form", () => {
    expect(scoreContext([file(null)], patch)).toMatchObject({
      hunks: 2,
      coveredHunks: 2,
      allHunksCovered: true,
    });
    expect(scoreContext([file([[38, 45]])], patch)).toMatchObject({ coveredHunks: 1, allFilesShown: true });
    // An outline alone shows the file but no hunk; an insertion right after a range still counts.
    expect(scoreContext([file([])], patch)).toMatchObject({ coveredHunks: 0, allFilesShown: true });
    expect(scoreContext([file([[2, 2]])], patch).coveredHunks).toBe(1);
    expect(scoreContext([], patch)).toMatchObject({ shownFiles: [], allFilesShown: false });
  });
});
