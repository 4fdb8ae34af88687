import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../test-support/run-cli.js";

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

function setUp(): { dir: string; answer: string } {
  const dir = mkdtempSync(join(tmpdir(), "swegate-edits-cli-"));
  folders.push(dir);
  writeFileSync(join(dir, "m.py"), "def g():\n    return 3\n");
  const answer = join(dir, "answer.md");
  writeFileSync(
    answer,
    "m.py\n```\n<<<<<<< SEARCH\n    return 3\n=======\n    return 4\n>>>>>>> REPLACE\n```\nm.py\n```\n<<<<<<< SEARCH\nnope\n=======\nx\n>>>>>>> REPLACE\n```\n",
  );
  return { dir, answer };
}

describe("swegate edits apply", () => {
  it("prints one line per block, the nearest lines of a failed one, and exits 1 when a block failed", () => {
    const { dir, answer } = setUp();
    const result = runCli(["edits", "apply", "--dir", dir, "--edits", answer]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`#1 m.py (${answer}:3): applied (exact)`);
    expect(result.stdout).toContain(`#2 m.py (${answer}:11): failed: SEARCH does not match the file`);
    expect(readFileSync(join(dir, "m.py"), "utf8")).toBe("def g():\n    return 4\n");
  });

  it("prints the real lines around the nearest match, numbered, the match itself marked", () => {
    const { dir } = setUp();
    writeFileSync(join(dir, "m.py"), "import os\n\n\ndef g():\n    return 3\n\n\ndef h():\n    pass\n");
    const answer = join(dir, "near.md");
    writeFileSync(
      answer,
      "m.py\n```\n<<<<<<< SEARCH\ndef g():\n    return 4\n=======\nx\n>>>>>>> REPLACE\n```\n",
    );
    const result = runCli(["edits", "apply", "--dir", dir, "--edits", answer]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      [
        "  did you mean m.py:4-5?",
        "   1 | import os",
        "   2 | ",
        "   3 | ",
        "  >4 | def g():",
        "  >5 |     return 3",
        "   6 | ",
        "   7 | ",
        "   8 | def h():",
      ].join("\n"),
    );
  });

  it("prints only the result value with --json and writes nothing with --dry-run", () => {
    const { dir, answer } = setUp();
    const result = runCli(["edits", "apply", "--dir", dir, "--edits", answer, "--json", "--dry-run"]);
    const value = JSON.parse(result.stdout);
    expect(value.applied).toEqual([{ path: "m.py", blockIndex: 0, method: "exact" }]);
    expect(value.failed[0].blockIndex).toBe(1);
    expect(value.filesChanged).toEqual(["m.py"]);
    expect(value.problems).toEqual([]);
    expect(readFileSync(join(dir, "m.py"), "utf8")).toBe("def g():\n    return 3\n");
  });

  it("says which option is wrong in one line and exits 2", () => {
    const { dir } = setUp();
    const result = runCli(["edits", "apply", "--dir", dir, "--edits", join(dir, "missing.md")]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("--edits=");
  });
});
