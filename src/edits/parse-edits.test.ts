import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEdits } from "./parse-edits.js";
import { writeBlock } from "./test-support/temp-folder.js";

describe("parseEdits", () => {
  it("reads fenced and unfenced blocks and decorated paths", () => {
    const answer = [
      "Here is the fix.",
      writeBlock("**pkg/a.py**", "x\n", "y\n"),
      writeBlock("pkg/b.py", "p\n", "q\n", false),
      writeBlock("`pkg/d.py`", "r\n", "s\n"),
      writeBlock("File: pkg/e.py", "t\n", "u\n"),
      writeBlock("# pkg/f.py", "v\n", "w\n"),
    ].join("\n");
    const { edits, problems } = parseEdits(answer);
    expect(problems).toEqual([]);
    expect(edits.map((edit) => edit.path)).toEqual([
      "pkg/a.py",
      "pkg/b.py",
      "pkg/d.py",
      "pkg/e.py",
      "pkg/f.py",
    ]);
    expect(edits[0]).toMatchObject({ kind: "search-replace", search: "x\n", replace: "y\n", line: 4 });
  });

  it("reads the Gemini variant with the path as the first line inside the fence, and a path on the fence line", () => {
    const { edits, problems } = parseEdits(
      "```python\npkg/g.py\n<<<<<<< SEARCH\nm\n=======\nn\n>>>>>>> REPLACE\n```\n```python pkg/c.py\n<<<<<<< SEARCH\no\n=======\np\n>>>>>>> REPLACE\n```\n",
    );
    expect(problems).toEqual([]);
    expect(edits.map((edit) => [edit.path, edit.line])).toEqual([
      ["pkg/g.py", 3],
      ["pkg/c.py", 10],
    ]);
  });

  it("reads several blocks for one file, the later ones taking the path of the first", () => {
    const { edits } = parseEdits(
      "m.py\n```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n```\n",
    );
    expect(edits).toMatchObject([
      { path: "m.py", search: "a\n", replace: "b\n" },
      { path: "m.py", search: "c\n", replace: "d\n" },
    ]);
  });

  it("does not take a prose line for a path, but keeps well-known names without an extension", () => {
    const { edits, problems } = parseEdits(
      `Fix:\n${writeBlock("Makefile", "a\n", "b\n")}Changes:\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n`,
    );
    expect(problems).toEqual([]);
    expect(edits.map((edit) => edit.path)).toEqual(["Makefile", "Makefile"]);
    expect(parseEdits(`Fix:\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n`).problems[0]?.line).toBe(2);
  });

  it("keeps an empty SEARCH and an empty REPLACE as empty text", () => {
    const { edits } = parseEdits(writeBlock("n.py", "", "x = 1\n") + writeBlock("n.py", "y\n", ""));
    expect(
      edits.map((edit) => [
        edit.kind === "search-replace" && edit.search,
        edit.kind === "search-replace" && edit.replace,
      ]),
    ).toEqual([
      ["", "x = 1\n"],
      ["y\n", ""],
    ]);
  });

  it("reports unclosed blocks, blocks without a divider, and blocks without a path, with their line", () => {
    const { edits, problems } = parseEdits(
      "<<<<<<< SEARCH\nq\n=======\nr\n>>>>>>> REPLACE\na.py\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\nb.py\n<<<<<<< SEARCH\nx\n=======\ny\n",
    );
    expect(edits).toEqual([]);
    expect(problems.map((problem) => problem.line)).toEqual([1, 7, 11]);
    expect(problems[1]?.message).toContain("no ======= divider");
    expect(problems[2]?.message).toContain("not closed");
  });

  it("accepts a fenced unified diff and a raw one", () => {
    const fenced = parseEdits(
      "```diff\ndiff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-a\n+b\n```\n",
    );
    expect(fenced.edits).toMatchObject([{ kind: "diff", path: "m.py", line: 2 }]);
    const raw = parseEdits("Fix:\n--- a/n.py\n+++ b/n.py\n@@ -1 +1 @@\n-a\n+b\n\nThat is all.\n");
    expect(raw.edits).toMatchObject([
      { kind: "diff", path: "n.py", diff: "--- a/n.py\n+++ b/n.py\n@@ -1 +1 @@\n-a\n+b\n" },
    ]);
  });

  it("keeps an indented ======== line (a sympy docstring underline) inside SEARCH", () => {
    // Lines 24-31 of sympy/functions/elementary/hyperbolic.py at sympy__sympy-13480's base commit.
    const file = readFileSync(
      join(
        import.meta.dirname,
        "fixtures/real-edits/sympy__sympy-13480/sympy/functions/elementary/hyperbolic.py",
      ),
      "utf8",
    );
    const docstring = `${file.split("\n").slice(23, 31).join("\n")}\n`;
    expect(docstring).toContain("\n    ========\n");
    const replaced = docstring.replace("sinh, cosh", "sinh, cosh, sech");
    const { edits, problems } = parseEdits(
      writeBlock("sympy/functions/elementary/hyperbolic.py", docstring, replaced),
    );
    expect(problems).toEqual([]);
    expect(edits).toMatchObject([{ search: docstring, replace: replaced }]);
    expect(edits[0]).not.toHaveProperty("readings");
  });

  it("keeps every reading of a block with several ======= lines, for the file to decide", () => {
    const answer = writeBlock("docs/index.rst", "Title\n=======\n", "New title\n=======\n");
    const { edits } = parseEdits(answer);
    expect(edits).toMatchObject([
      {
        search: "Title\n",
        replace: "=======\nNew title\n=======\n",
        readings: [
          { search: "Title\n", replace: "=======\nNew title\n=======\n", dividerLine: 5 },
          { search: "Title\n=======\n", replace: "New title\n=======\n", dividerLine: 6 },
          { search: "Title\n=======\n=======\nNew title\n", replace: "", dividerLine: 8 },
        ],
      },
    ]);
  });

  it("finds the path two lines above the fence, or alone in the fence's info string", () => {
    const { edits, problems } = parseEdits(
      [
        "pkg/above.py",
        "Change it so:",
        "```python",
        "<<<<<<< SEARCH",
        "a",
        "=======",
        "b",
        ">>>>>>> REPLACE",
        "```",
        "```pkg/info.py",
        "<<<<<<< SEARCH",
        "c",
        "=======",
        "d",
        ">>>>>>> REPLACE",
        "```",
        "",
      ].join("\n"),
    );
    expect(problems).toEqual([]);
    expect(edits.map((edit) => edit.path)).toEqual(["pkg/above.py", "pkg/info.py"]);
  });

  it("reads Agentless's `### path` inside the fence", () => {
    const { edits } = parseEdits(
      "```python\n### sympy/a.py\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n",
    );
    expect(edits).toMatchObject([{ path: "sympy/a.py", search: "x\n", replace: "y\n" }]);
  });
});
