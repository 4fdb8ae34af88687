import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyEdits } from "./apply-edits.js";
import { describeEditResult } from "./describe-edit-failures.js";
import { parseEdits } from "./parse-edits.js";
import { cleanFoldersAfterEach, makeFolder, writeBlock } from "./test-support/temp-folder.js";

cleanFoldersAfterEach();

const source = "def f(x):\n    if x:\n        return 1\n    return 2\n\n\ndef g():\n    return 3\n";
const apply = (folder: string, answer: string, dryRun = false) =>
  applyEdits(folder, parseEdits(answer).edits, { dryRun });
const read = (folder: string, path: string) => readFileSync(join(folder, path), "utf8");

describe("applyEdits matching ladder", () => {
  it("applies an exact match, matching whole lines only", async () => {
    const folder = makeFolder({ "m.py": "yx = 1\nx = 1\n" });
    const result = await apply(folder, writeBlock("m.py", "x = 1\n", "x = 2\n"));
    expect(result).toEqual({
      applied: [{ path: "m.py", blockIndex: 0, method: "exact" }],
      failed: [],
      filesChanged: ["m.py"],
    });
    expect(read(folder, "m.py")).toBe("yx = 1\nx = 2\n");
  });

  it("applies a SEARCH indented uniformly less than the file, shifting REPLACE the same", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(folder, writeBlock("m.py", "if x:\n    return 1\n", "if x:\n    return 10\n"));
    expect(result.applied[0]?.method).toBe("indentation");
    expect(read(folder, "m.py")).toBe(source.replace("return 1", "return 10"));
  });

  it("applies a SEARCH indented uniformly more than the file, shifting REPLACE the same", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(
      folder,
      writeBlock("m.py", "    def g():\n        return 3\n", "    def g():\n        return 4\n"),
    );
    expect(result.applied[0]?.method).toBe("indentation");
    expect(read(folder, "m.py")).toBe(source.replace("return 3", "return 4"));
  });

  it("drops a spurious leading blank line of SEARCH", async () => {
    const folder = makeFolder({ "m.py": "a = 1\nb = 2\n" });
    const result = await apply(folder, writeBlock("m.py", "\nb = 2\n", "\nb = 3\n"));
    expect(result.applied[0]?.method).toBe("leading-blank-line");
    expect(read(folder, "m.py")).toBe("a = 1\nb = 3\n");
  });

  it("keeps the lines a `...` elision stands for", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(
      folder,
      writeBlock("m.py", "def f(x):\n...\n    return 2\n", "def f(x, y=None):\n...\n    return 20\n"),
    );
    expect(result.applied[0]?.method).toBe("elision");
    expect(read(folder, "m.py")).toBe(
      source.replace("def f(x)", "def f(x, y=None)").replace("return 2\n", "return 20\n"),
    );
  });

  it("applies blocks for one file in order against the evolving content", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(
      folder,
      writeBlock("m.py", "def g():\n", "def h():\n") + writeBlock("m.py", "def h():\n", "def k():\n"),
    );
    expect(result.failed).toEqual([]);
    expect(read(folder, "m.py")).toContain("def k():");
  });
});

describe("applyEdits failures", () => {
  it("explains a missing block with the nearest real lines and their range", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(folder, writeBlock("m.py", "def g():\n    return 4\n", "x\n"));
    expect(result.failed).toEqual([
      {
        path: "m.py",
        blockIndex: 0,
        reason: "SEARCH does not match the file",
        didYouMean: {
          firstLine: 7,
          lastLine: 8,
          text: "def g():\n    return 3",
          around: { firstLine: 4, lastLine: 8, text: "    return 2\n\n\ndef g():\n    return 3" },
        },
      },
    ]);
    expect(describeEditResult(result)).toContain(
      "Did you mean m.py lines 7-8? The file's real lines 4-8, verbatim:\n```\n    return 2\n\n\ndef g():\n    return 3\n```",
    );
    expect(read(folder, "m.py")).toBe(source);
  });

  it("applies a SEARCH found in several places at the first after the file's previous block, and says so", async () => {
    // Aider applies such a SEARCH at its first occurrence; refusing it threw away what the model meant.
    const folder = makeFolder({ "d.py": "x = 1\ny = 2\nx = 1\n" });
    const first = await apply(folder, writeBlock("d.py", "x = 1\n", "x = 2\n"));
    expect(first.applied).toEqual([
      { path: "d.py", blockIndex: 0, method: "exact", places: { count: 2, used: 1 } },
    ]);
    expect(describeEditResult(first)).toContain("#1 d.py (matched 2 places, used line 1)");
    expect(read(folder, "d.py")).toBe("x = 2\ny = 2\nx = 1\n");
    const folder2 = makeFolder({ "d.py": "x = 1\ny = 2\nx = 1\n" });
    const after = await apply(
      folder2,
      writeBlock("d.py", "y = 2\n", "y = 3\n") + writeBlock("d.py", "x = 1\n", "x = 4\n"),
    );
    expect(after.applied[1]).toMatchObject({ places: { count: 2, used: 3 } });
    expect(read(folder2, "d.py")).toBe("x = 1\ny = 3\nx = 4\n");
  });

  it("writes the blocks that applied and names them when another failed", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(
      folder,
      writeBlock("m.py", "def g():\n", "def h():\n") + writeBlock("m.py", "nope\n", "x\n"),
    );
    expect(describeEditResult(result)).toContain(
      "Applied 1 block(s), already in the files (do not resend): #1 m.py.",
    );
    expect(describeEditResult(result)).toContain("Block #2 for m.py failed: SEARCH does not match the file.");
    expect(read(folder, "m.py")).toContain("def h():");
  });

  it("writes nothing in a dry run but reports the same result", async () => {
    const folder = makeFolder({ "m.py": source });
    const result = await apply(folder, writeBlock("m.py", "def g():\n", "def h():\n"), true);
    expect(result.filesChanged).toEqual(["m.py"]);
    expect(read(folder, "m.py")).toBe(source);
  });
});

describe("applyEdits files", () => {
  it("creates a file from an empty SEARCH, appends to a file with content, and keeps CRLF", async () => {
    const folder = makeFolder({ "w.py": "a = 1\r\nb = 2\r\n", "full.py": "keep\n" });
    const result = await apply(
      folder,
      [
        writeBlock("new/n.py", "", "x = 1\n"),
        writeBlock("w.py", "b = 2\n", "b = 3\nc = 4\n"),
        writeBlock("full.py", "", "y\n"),
      ].join(""),
    );
    // Appending is what Aider does with an empty SEARCH (django__django-14752 relies on it).
    expect(result.applied.map((entry) => entry.method)).toEqual(["create", "exact", "append"]);
    expect(describeEditResult(result)).toContain(
      "#3 full.py (empty SEARCH: REPLACE appended at the end of the file)",
    );
    expect(read(folder, "new/n.py")).toBe("x = 1\n");
    expect(read(folder, "w.py")).toBe("a = 1\r\nb = 3\r\nc = 4\r\n");
    expect(read(folder, "full.py")).toBe("keep\ny\n");
  });

  it("refuses an empty SEARCH whose REPLACE starts with a line the file has: a resent file", async () => {
    const folder = makeFolder({ "full.py": "import os\n\nkeep = 1\n" });
    const result = await apply(folder, writeBlock("full.py", "", "import os\n\nkeep = 2\n"));
    expect(result.failed[0]?.reason).toContain("the file already has REPLACE's first line (import os)");
    expect(read(folder, "full.py")).toBe("import os\n\nkeep = 1\n");
  });

  it("refuses paths outside the workspace: .., absolute, a symlink to outside, .git", async () => {
    const outside = makeFolder({ "secret.txt": "keep\n" });
    const folder = makeFolder({ "m.py": source, ".git/config": "[core]\n" });
    symlinkSync(outside, join(folder, "link"));
    symlinkSync(join(outside, "secret.txt"), join(folder, "file-link.txt"));
    const answer = [
      writeBlock("../escape.py", "", "x\n"),
      writeBlock("/etc/passwd", "", "x\n"),
      writeBlock("link/secret.txt", "keep\n", "gone\n"),
      writeBlock("file-link.txt", "keep\n", "gone\n"),
      writeBlock(".git/config", "[core]\n", "[x]\n"),
      writeBlock("a/../../escape.py", "", "x\n"),
    ].join("");
    const result = await apply(folder, answer);
    expect(result.applied).toEqual([]);
    expect(result.failed.map((failure) => failure.reason)).toEqual([
      "the path leaves the workspace",
      "absolute paths are not allowed",
      "link is a symbolic link",
      "file-link.txt is a symbolic link",
      "writing into .git is not allowed",
      "the path leaves the workspace",
    ]);
    expect(read(outside, "secret.txt")).toBe("keep\n");
  });

  it("applies a unified diff answer in a real git repository", async () => {
    const folder = makeFolder({ "m.py": source });
    for (const args of [
      ["init", "-q"],
      ["add", "."],
      ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base"],
    ])
      spawnSync("git", args, { cwd: folder });
    const answer =
      "```diff\ndiff --git a/m.py b/m.py\n--- a/m.py\n+++ b/m.py\n@@ -7,2 +7,2 @@\n def g():\n-    return 3\n+    return 33\n```\n";
    const result = await apply(folder, answer);
    expect(result).toEqual({
      applied: [{ path: "m.py", blockIndex: 0, method: "diff" }],
      failed: [],
      filesChanged: ["m.py"],
    });
    expect(read(folder, "m.py")).toBe(source.replace("return 3", "return 33"));
  });

  it("applies a diff with patch outside git, and refuses a diff that writes through .git", async () => {
    const folder = makeFolder({ "m.py": source });
    const good = await apply(folder, "--- a/m.py\n+++ b/m.py\n@@ -1,1 +1,1 @@\n-def f(x):\n+def f(z):\n");
    expect(good.failed).toEqual([]);
    expect(read(folder, "m.py")).toContain("def f(z):");
    const bad = await apply(
      folder,
      "--- a/.git/hooks/pre-commit\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+evil\n",
    );
    expect(bad.failed[0]?.reason).toBe("writing into .git is not allowed");
  });
});
