import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyEdits } from "./apply-edits.js";
import { describeEditResult } from "./describe-edit-failures.js";
import { parseEdits } from "./parse-edits.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "swegate-edits-"));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}
const block = (path: string, search: string, replace: string, fence = true) =>
  `${path}\n${fence ? "```python\n" : ""}<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n${fence ? "```\n" : ""}`;
const source = "def f(x):\n    if x:\n        return 1\n    return 2\n\n\ndef g():\n    return 3\n";

describe("parseEdits", () => {
  it("reads fenced and unfenced blocks, decorated paths, and the path inside the fence", () => {
    const answer = [
      "Here is the fix.",
      block("**pkg/a.py**", "x\n", "y\n"),
      block("pkg/b.py", "p\n", "q\n", false),
      "```python pkg/c.py\n<<<<<<< SEARCH\nm\n=======\nn\n>>>>>>> REPLACE\n```",
    ].join("\n");
    const { edits, problems } = parseEdits(answer);
    expect(problems).toEqual([]);
    expect(edits.map((edit) => edit.path)).toEqual(["pkg/a.py", "pkg/b.py", "pkg/c.py"]);
    expect(edits[0]).toMatchObject({ kind: "search-replace", search: "x\n", replace: "y\n" });
  });

  it("reports unclosed blocks and blocks without a divider with their line", () => {
    const { edits, problems } = parseEdits(
      "a.py\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\nb.py\n<<<<<<< SEARCH\nx\n=======\ny\n",
    );
    expect(edits).toEqual([]);
    expect(problems.map((problem) => problem.line)).toEqual([2, 6]);
  });

  it("accepts a unified diff answer", () => {
    const { edits } = parseEdits(
      "```diff\ndiff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-a\n+b\n```\n",
    );
    expect(edits).toMatchObject([{ kind: "diff", path: "m.py" }]);
  });
});

describe("applyEdits", () => {
  it("applies exact, uniformly re-indented, leading-blank-line and elided blocks", async () => {
    const dir = folder({ "m.py": source });
    const answer = [
      block("m.py", "def g():\n    return 3\n", "def g():\n    return 30\n"),
      // Indented 4 less than the file: the same shift applies to REPLACE.
      block("m.py", "if x:\n    return 1\n", "if x:\n    return 10\n"),
      block("m.py", "\ndef f(x):\n", "\ndef f(x, y=None):\n"),
    ].join("\n");
    const result = await applyEdits(dir, parseEdits(answer).edits);
    expect(result.failed).toEqual([]);
    expect(result.applied.map((applied) => applied.method)).toEqual([
      "exact",
      "indentation",
      "leading-blank-line",
    ]);
    expect(readFileSync(join(dir, "m.py"), "utf8")).toBe(
      source
        .replace("return 3", "return 30")
        .replace("return 1", "return 10")
        .replace("def f(x)", "def f(x, y=None)"),
    );
    const elided = await applyEdits(
      dir,
      parseEdits(
        block("m.py", "def f(x, y=None):\n...\n    return 2\n", "def f(x, y=None):\n...\n    return 20\n"),
      ).edits,
    );
    expect(elided.applied[0]?.method).toBe("elision");
    expect(readFileSync(join(dir, "m.py"), "utf8")).toContain("return 10\n    return 20\n");
  });

  it("explains a missing block with the nearest lines and an ambiguous one with every match", async () => {
    const dir = folder({ "m.py": source });
    const missing = await applyEdits(dir, parseEdits(block("m.py", "def g():\n    return 4\n", "x\n")).edits);
    expect(missing.failed[0]?.didYouMean).toContain("7| def g():");
    writeFileSync(join(dir, "d.py"), "x = 1\ny = 2\nx = 1\n");
    const ambiguous = await applyEdits(dir, parseEdits(block("d.py", "x = 1\n", "x = 2\n")).edits);
    expect(ambiguous.failed[0]?.reason).toBe(
      "SEARCH matches 2 places (lines 1, 3); add lines to make it unique",
    );
    expect(describeEditResult(missing)).toContain("Did you mean");
  });

  it("names the blocks that applied when another failed", async () => {
    const dir = folder({ "m.py": source });
    const result = await applyEdits(
      dir,
      parseEdits([block("m.py", "def g():\n", "def h():\n"), block("m.py", "nope\n", "x\n")].join("\n"))
        .edits,
    );
    expect(describeEditResult(result)).toContain("Applied 1 block(s): #1 m.py");
    expect(readFileSync(join(dir, "m.py"), "utf8")).toContain("def h():");
  });

  it("creates a file from an empty SEARCH and keeps CRLF line endings", async () => {
    const dir = folder({ "w.py": "a = 1\r\nb = 2\r\n" });
    const result = await applyEdits(
      dir,
      parseEdits([block("new/n.py", "", "x = 1\n"), block("w.py", "b = 2\n", "b = 3\n")].join("\n")).edits,
    );
    expect(result.failed).toEqual([]);
    expect(readFileSync(join(dir, "new/n.py"), "utf8")).toBe("x = 1\n");
    expect(readFileSync(join(dir, "w.py"), "utf8")).toBe("a = 1\r\nb = 3\r\n");
  });

  it("refuses paths outside the workspace: .., absolute, symlinks, .git", async () => {
    const outside = folder({ "secret.txt": "keep\n" });
    const dir = folder({ "m.py": source, ".git/config": "[core]\n" });
    symlinkSync(outside, join(dir, "link"));
    const answer = [
      block("../escape.py", "", "x\n"),
      block("/etc/passwd", "", "x\n"),
      block("link/secret.txt", "keep\n", "gone\n"),
      block(".git/config", "[core]\n", "[x]\n"),
    ].join("\n");
    const result = await applyEdits(dir, parseEdits(answer).edits);
    expect(result.applied).toEqual([]);
    expect(result.failed).toHaveLength(4);
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("keep\n");
  });
});
