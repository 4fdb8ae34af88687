import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyEdits } from "./apply-edits.js";
import { diffToSearchReplace } from "./diff-to-search-replace.js";
import { parseEdits } from "./parse-edits.js";
import { cleanFoldersAfterEach, makeFolder } from "./test-support/temp-folder.js";

cleanFoldersAfterEach();

const numbered = (count: number, make: (index: number) => string) =>
  Array.from({ length: count }, (_, index) => `${make(index + 1)}\n`).join("");

/** Makes a real diff with git, so the tests read what git writes. */
function gitDiff(before: Record<string, string>, after: Record<string, string>, context = 3): string {
  const left = makeFolder(before);
  const right = makeFolder(after);
  const run = spawnSync("git", ["diff", "--no-index", `-U${context}`, "--", ".", right], {
    cwd: left,
    encoding: "utf8",
  });
  // --no-index names the right side by its absolute path; rewrite both sides to a/ and b/.
  return run.stdout.replaceAll(`${right.slice(1)}/`, "").replaceAll(`a/./`, "a/");
}

describe("diffToSearchReplace", () => {
  it("turns each hunk into one block: context+removed as SEARCH, context+added as REPLACE", () => {
    const before = numbered(30, (n) => `line${n}`);
    const after = before.replace("line5\n", "five\n").replace("line25\n", "twenty-five\n");
    const diff = `--- a/f.txt\n+++ b/f.txt\n@@ -2,7 +2,7 @@\n line2\n line3\n line4\n-line5\n+five\n line6\n line7\n line8\n@@ -22,7 +22,7 @@\n line22\n line23\n line24\n-line25\n+twenty-five\n line26\n line27\n line28\n`;
    const conversion = diffToSearchReplace(diff, () => before);
    expect(conversion.problems).toEqual([]);
    expect(conversion.edits.map((edit) => [edit.search, edit.replace])).toEqual([
      [
        "line2\nline3\nline4\nline5\nline6\nline7\nline8\n",
        "line2\nline3\nline4\nfive\nline6\nline7\nline8\n",
      ],
      [
        "line22\nline23\nline24\nline25\nline26\nline27\nline28\n",
        "line22\nline23\nline24\ntwenty-five\nline26\nline27\nline28\n",
      ],
    ]);
    expect(after).toContain("twenty-five");
  });

  it("grows a SEARCH with surrounding lines until it is unique, and the text parses back to the same edits", async () => {
    const repeated =
      "def a():\n    return None\n\n\ndef b():\n    return None\n\n\ndef c():\n    return None\n";
    const changed = repeated.replace("def b():\n    return None", "def b():\n    return 2");
    const diff = gitDiff({ "m.py": repeated }, { "m.py": changed }, 0);
    const conversion = diffToSearchReplace(diff, () => repeated);
    expect(conversion.edits).toHaveLength(1);
    expect(conversion.edits[0]?.search).toContain("def b():");
    expect(parseEdits(conversion.text).edits).toEqual(conversion.edits);
    const folder = makeFolder({ "m.py": repeated });
    const result = await applyEdits(folder, conversion.edits);
    expect(result.failed).toEqual([]);
    expect(readFileSync(join(folder, "m.py"), "utf8")).toBe(changed);
  });

  it("merges a hunk into the previous block when it cannot grow without overlapping it", async () => {
    // Every region looks alike, so hunks with no context can only be told apart by growing into each other.
    const before = "x = 0\n".repeat(6);
    const after = "x = 0\nx = 1\nx = 0\nx = 1\nx = 0\nx = 0\n";
    const diff = "--- a/r.py\n+++ b/r.py\n@@ -2 +2 @@\n-x = 0\n+x = 1\n@@ -4 +4 @@\n-x = 0\n+x = 1\n";
    const conversion = diffToSearchReplace(diff, () => before);
    expect(conversion.problems).toEqual([]);
    // Every window of the file is repeated until it spans the whole file, so both hunks end up in one block.
    expect(conversion.edits.map((edit) => [edit.search, edit.replace])).toEqual([[before, after]]);
    const folder = makeFolder({ "r.py": before });
    const result = await applyEdits(folder, conversion.edits);
    expect(result.failed).toEqual([]);
    expect(readFileSync(join(folder, "r.py"), "utf8")).toBe(after);
  });

  it("gives a new file an empty SEARCH and names deletions and renames as problems", () => {
    const diff = [
      "diff --git a/new.py b/new.py",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/new.py",
      "@@ -0,0 +1,2 @@",
      "+a = 1",
      "+b = 2",
      "diff --git a/old.py b/old.py",
      "deleted file mode 100644",
      "--- a/old.py",
      "+++ /dev/null",
      "@@ -1 +0,0 @@",
      "-gone",
      "",
    ].join("\n");
    const conversion = diffToSearchReplace(diff, () => undefined);
    expect(conversion.edits).toMatchObject([{ path: "new.py", search: "", replace: "a = 1\nb = 2\n" }]);
    expect(conversion.problems).toEqual([
      "old.py: the diff deletes the file; SEARCH/REPLACE blocks cannot delete files",
    ]);
  });

  it("reads a removed line that starts with '-- ' as part of the hunk, not as a file header", () => {
    const before = "a\n-- b\nc\n";
    const diff = "--- a/s.sql\n+++ b/s.sql\n@@ -1,3 +1,2 @@\n a\n--- b\n c\n";
    const conversion = diffToSearchReplace(diff, () => before);
    expect(conversion.edits).toMatchObject([{ path: "s.sql", search: "a\n-- b\nc\n", replace: "a\nc\n" }]);
  });
});
