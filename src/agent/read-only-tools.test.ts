import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitFiles, makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { compileLinear } from "./line-matcher.js";
import { READ_ONLY_TOOLS, runReadOnlyTool } from "./read-only-tools.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-read-only-tools-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const numbered = (count: number) =>
  Array.from({ length: count }, (_, index) => `line ${index + 1}\n`).join("");
const many = Object.fromEntries(
  Array.from({ length: 70 }, (_, index) => {
    const name = String(index).padStart(2, "0");
    return [`many/f${name}.txt`, `needle ${name}\n`];
  }),
);

const repositoryFiles = {
  "README.md": "# demo\n",
  "src/app/main.py": "import os\n\n\ndef main():\n    print('hello')\n    return 0\n",
  "src/app/util.py": "def helper():\n    return 'app'\n",
  "src/lib/util.py": "def helper():\n    return 'lib'\n",
  "docs/guide.md": "Use helper() to help.\n",
  "data/blob.bin": "GIF89a\u0000\u0001binary helper",
  "big.txt": numbered(1000),
  "wide.txt": `${"x".repeat(199)}\n`.repeat(300),
  "long.txt": `${"z".repeat(300)}\n`,
  "evil.txt": `${"a".repeat(24)}!\n`,
  "minified.js": "m".repeat(50_000),
  "huge.log": `hugeneedle\n${"h".repeat(1100 * 1024)}\n`,
  "crlf.txt": "one\r\ntwo\r\n",
  "empty.txt": "",
  ...many,
};

let context: { dir: string; files: string[] };
const run = (name: string, args: unknown) => runReadOnlyTool({ name, arguments: args }, context);

beforeAll(() => {
  const { dir } = makeGitRepo(repositoryFiles, join(scratch, "repo"));
  // Tracked symbolic links: one to a tracked file, one leading out of the checkout.
  writeFileSync(join(scratch, "outside.txt"), "helper outside\n");
  symlinkSync(join(scratch, "outside.txt"), join(dir, "outside-link.txt"));
  symlinkSync("src/app/main.py", join(dir, "inside-link.py"));
  commitFiles(dir, {}, "links");
  // Untracked: written after the last commit, so git ls-files does not list them.
  writeFileSync(join(dir, "src/app/secret.py"), "TOKEN = 'helper secret'\n");
  mkdirSync(join(dir, "untracked"));
  writeFileSync(join(dir, "untracked/notes.txt"), "helper notes\n");
  const listed = execFileSync("git", ["ls-files", "-z"], { cwd: dir, encoding: "utf8" });
  context = { dir, files: listed.split("\0").filter((file) => file !== "") };
});

const PATH_ERROR = "error: paths are relative to the repository root";

describe("tool specs", () => {
  it("lists view_file, search_code, list_folder with closed JSON Schemas of lowercase types", () => {
    expect(READ_ONLY_TOOLS.map((tool) => tool.name)).toEqual(["view_file", "search_code", "list_folder"]);
    for (const tool of READ_ONLY_TOOLS) {
      expect(tool.description.length).toBeGreaterThan(20);
      const parameters = tool.parameters as {
        type: string;
        properties: Record<string, { type: string }>;
        required: string[];
        additionalProperties: boolean;
      };
      expect(parameters.type).toBe("object");
      expect(parameters.additionalProperties).toBe(false);
      for (const key of parameters.required) expect(Object.keys(parameters.properties)).toContain(key);
      for (const property of Object.values(parameters.properties)) {
        expect(["string", "integer", "boolean"]).toContain(property.type);
      }
    }
    expect(READ_ONLY_TOOLS.map((tool) => tool.parameters.required)).toEqual([["path"], ["pattern"], []]);
  });
});

describe("view_file", () => {
  it("shows a range with right-aligned line numbers and a header naming the line count", async () => {
    expect(await run("view_file", { path: "src/app/main.py", start_line: 4, end_line: 5 })).toBe(
      "src/app/main.py (lines 4-5 of 6)\n   4\tdef main():\n   5\t    print('hello')",
    );
    expect(await run("view_file", { path: "big.txt", start_line: 995, end_line: 2000 })).toBe(
      [
        "big.txt (lines 995-1000 of 1000)",
        " 995\tline 995",
        " 996\tline 996",
        " 997\tline 997",
        " 998\tline 998",
        " 999\tline 999",
        "1000\tline 1000",
      ].join("\n"),
    );
    expect(await run("view_file", { path: "crlf.txt" })).toBe(
      "crlf.txt (lines 1-2 of 2)\n   1\tone\n   2\ttwo",
    );
    expect(await run("view_file", { path: "empty.txt" })).toBe("empty.txt (empty file)");
  });

  it("shows 200 lines by default and at most 400 lines, saying where to continue", async () => {
    const first = (await run("view_file", { path: "big.txt" })).split("\n");
    expect(first).toHaveLength(201);
    expect(first[0]).toBe("big.txt (lines 1-200 of 1000)");
    expect(first[200]).toBe(" 200\tline 200");
    const capped = (await run("view_file", { path: "big.txt", start_line: 1, end_line: 1000 })).split("\n");
    expect(capped[0]).toBe("big.txt (lines 1-400 of 1000)");
    expect(capped).toHaveLength(402);
    expect(capped[400]).toBe(" 400\tline 400");
    expect(capped[401]).toBe("[... at most 400 lines per call: continue with start_line 401]");
  });

  it("cuts at 40,000 characters, even inside a single long line", async () => {
    // Each numbered line of wide.txt is 204 characters plus a newline: 195 fit in 40,000.
    const wide = (await run("view_file", { path: "wide.txt", start_line: 1, end_line: 300 })).split("\n");
    expect(wide[0]).toBe("wide.txt (lines 1-195 of 300)");
    expect(wide).toHaveLength(197);
    expect(wide.at(-1)).toBe("[... cut: ask for a smaller range]");
    const minified = (await run("view_file", { path: "minified.js" })).split("\n");
    expect(minified).toEqual([
      "minified.js (lines 1-1 of 1)",
      `   1\t${"m".repeat(40_000 - 5)}`,
      "[... cut: ask for a smaller range]",
    ]);
  });

  it("refuses a start past the end, naming the file's line count, and an end before the start", async () => {
    expect(await run("view_file", { path: "big.txt", start_line: 1001 })).toBe(
      "error: start_line 1001 is past the end of big.txt (1000 lines)",
    );
    expect(await run("view_file", { path: "big.txt", start_line: 5, end_line: 3 })).toBe(
      "error: view_file: end_line 3 is before start_line 5",
    );
  });

  it("answers a missing path with tracked files of the same base name, closest first", async () => {
    expect(await run("view_file", { path: "app/util.py" })).toBe(
      "error: no tracked file app/util.py (did you mean: src/app/util.py, src/lib/util.py)",
    );
    expect(await run("view_file", { path: "lib/util.py" })).toBe(
      "error: no tracked file lib/util.py (did you mean: src/lib/util.py, src/app/util.py)",
    );
    expect(await run("view_file", { path: "nothing.py" })).toBe("error: no tracked file nothing.py");
    expect(await run("view_file", { path: "src/app" })).toBe("error: src/app is a folder; use list_folder");
  });

  it("accepts ./x, backslashes and doubled slashes", async () => {
    const expected = await run("view_file", { path: "src/app/util.py" });
    expect(expected).toBe("src/app/util.py (lines 1-2 of 2)\n   1\tdef helper():\n   2\t    return 'app'");
    for (const path of ["./src/app/util.py", "src\\app\\util.py", "src//app/./util.py"]) {
      expect(await run("view_file", { path })).toBe(expected);
    }
  });

  it("refuses binary files", async () => {
    expect(await run("view_file", { path: "data/blob.bin" })).toBe("error: data/blob.bin is binary");
  });

  it("follows a tracked link to a tracked file but not one leading out of the checkout", async () => {
    expect(await run("view_file", { path: "inside-link.py", end_line: 1 })).toBe(
      "inside-link.py (lines 1-1 of 6)\n   1\timport os",
    );
    expect(await run("view_file", { path: "outside-link.txt" })).toBe(
      "error: outside-link.txt links outside the tracked files",
    );
  });
});

describe("paths leaving the checkout", () => {
  it("refuses absolute paths and .. segments in every tool", async () => {
    for (const path of [
      "/etc/passwd",
      "../outside.txt",
      "src/../../outside.txt",
      "..",
      "C:\\Windows",
      "\\etc",
    ]) {
      expect(await run("view_file", { path })).toBe(PATH_ERROR);
      expect(await run("search_code", { pattern: "helper", path })).toBe(PATH_ERROR);
      expect(await run("list_folder", { path })).toBe(PATH_ERROR);
    }
  });

  it("keeps untracked files and .git invisible to all three tools", async () => {
    expect(await run("view_file", { path: "src/app/secret.py" })).toBe(
      "error: no tracked file src/app/secret.py",
    );
    expect(await run("view_file", { path: ".git/HEAD" })).toBe("error: no tracked file .git/HEAD");
    expect(await run("search_code", { pattern: "TOKEN" })).toBe("no matches for TOKEN");
    expect(await run("search_code", { pattern: "refs/heads" })).toBe("no matches for refs/heads");
    expect(await run("search_code", { pattern: "helper notes" })).toBe("no matches for helper notes");
    expect(await run("list_folder", { path: "src/app" })).toBe("main.py\nutil.py");
    expect(await run("list_folder", { path: "untracked" })).toBe("error: no tracked folder untracked");
    expect(await run("list_folder", { path: ".git" })).toBe("error: no tracked folder .git");
  });
});

describe("search_code", () => {
  it("matches literally and case-sensitively by default, as a regular expression on request", async () => {
    expect(await run("search_code", { pattern: "helper()" })).toBe(
      [
        "docs/guide.md:1: Use helper() to help.",
        "src/app/util.py:1: def helper():",
        "src/lib/util.py:1: def helper():",
        "3 matches in 3 files",
      ].join("\n"),
    );
    expect(await run("search_code", { pattern: "HELPER" })).toBe("no matches for HELPER");
    expect(await run("search_code", { pattern: "'.+'" })).toBe("no matches for '.+'");
    expect(await run("search_code", { pattern: "'.+'", regex: true })).toBe(
      [
        "src/app/main.py:5:     print('hello')",
        "src/app/util.py:2:     return 'app'",
        "src/lib/util.py:2:     return 'lib'",
        "3 matches in 3 files",
      ].join("\n"),
    );
  });

  it("limits the search to a folder or a single file", async () => {
    expect(await run("search_code", { pattern: "helper", path: "src/app/" })).toBe(
      "src/app/util.py:1: def helper():\n1 match in 1 file",
    );
    expect(await run("search_code", { pattern: "return", path: "./src/lib/util.py" })).toBe(
      "src/lib/util.py:2:     return 'lib'\n1 match in 1 file",
    );
    expect(await run("search_code", { pattern: "os", path: "README.md" })).toBe(
      "no matches for os in README.md",
    );
    expect(await run("search_code", { pattern: "helper", path: "src/ap" })).toBe(
      "error: no tracked file or folder src/ap",
    );
    expect(await run("search_code", { pattern: "helper", path: "app" })).toBe(
      "error: no tracked file or folder app (did you mean: src/app)",
    );
  });

  it("says how many matches there were when it shows only the first ones", async () => {
    expect(await run("search_code", { pattern: "line ", path: "big.txt", max_results: 3 })).toBe(
      [
        "big.txt:1: line 1",
        "big.txt:2: line 2",
        "big.txt:3: line 3",
        "first 3 of 1000 matches (narrow the search with path)",
      ].join("\n"),
    );
    const capped = (await run("search_code", { pattern: "line ", max_results: 5000 })).split("\n");
    expect(capped).toHaveLength(201);
    expect(capped.at(-1)).toBe("first 200 of 1000 matches (narrow the search with path)");
    const defaulted = (await run("search_code", { pattern: "needle" })).split("\n");
    expect(defaulted).toHaveLength(51);
    expect(defaulted.at(-1)).toBe("first 50 of 70 matches (narrow the search with path)");
  });

  it("keeps the files' order across batches", async () => {
    const expected = Object.entries(many).map(([path, text]) => `${path}:1: ${text.trimEnd()}`);
    expect(await run("search_code", { pattern: "needle ", path: "many", max_results: 100 })).toBe(
      [...expected, "70 matches in 70 files"].join("\n"),
    );
  });

  it("cuts matching lines to 200 characters and skips binary files, files over 1 MB and links", async () => {
    expect(await run("search_code", { pattern: "zzz" })).toBe(
      `long.txt:1: ${"z".repeat(200)}\n1 match in 1 file`,
    );
    expect(await run("search_code", { pattern: "binary helper" })).toBe("no matches for binary helper");
    expect(await run("search_code", { pattern: "hugeneedle" })).toBe("no matches for hugeneedle");
    expect(await run("search_code", { pattern: "helper outside" })).toBe("no matches for helper outside");
    expect(await run("search_code", { pattern: "import os" })).toBe(
      "src/app/main.py:1: import os\n1 match in 1 file",
    );
  });

  it("reports an invalid regular expression and an empty pattern", async () => {
    expect(await run("search_code", { pattern: "(", regex: true })).toBe(
      "error: invalid regular expression: /(/: Unterminated group",
    );
    expect(await run("search_code", { pattern: "" })).toBe("error: search_code: pattern is empty");
  });

  it("runs regular expressions on the linear-time engine, and refuses what it cannot run", async () => {
    // Each of these takes a backtracking engine about 2^24 steps on evil.txt's 24 "a"s and a "!" (and
    // twice as long per "a" more); the linear engine, whose flag every compiled pattern carries, does not.
    for (const pattern of ["(a+)+!!$", "(\\w+\\s?){2,}#", "(a|aa)*!!"]) {
      expect((compileLinear(pattern) as RegExp).flags).toBe("l");
      expect(await run("search_code", { pattern, regex: true })).toMatch(/^no matches for /);
    }
    for (const pattern of ["(a)\\1", "(?<=import )os"])
      expect(await run("search_code", { pattern, regex: true })).toMatch(
        /^error: regular expression refused: back-references and lookaround/,
      );
    expect(await run("search_code", { pattern: "^import (os|sys)$", regex: true })).toBe(
      "src/app/main.py:1: import os\n1 match in 1 file",
    );
  });
});

describe("list_folder", () => {
  it("lists the root: folders with their file counts first, then files, by name", async () => {
    const root = [
      "data/ (1 file)",
      "docs/ (1 file)",
      "many/ (70 files)",
      "src/ (3 files)",
      "README.md",
      "big.txt",
      "crlf.txt",
      "empty.txt",
      "evil.txt",
      "huge.log",
      "inside-link.py",
      "long.txt",
      "minified.js",
      "outside-link.txt",
      "wide.txt",
    ].join("\n");
    expect(await run("list_folder", {})).toBe(root);
    expect(await run("list_folder", { path: "" })).toBe(root);
    expect(await run("list_folder", { path: "." })).toBe(root);
  });

  it("lists a sub-folder", async () => {
    expect(await run("list_folder", { path: "src" })).toBe("app/ (2 files)\nlib/ (1 file)");
    expect(await run("list_folder", { path: ".\\src\\app\\" })).toBe("main.py\nutil.py");
  });

  it("answers an unknown folder with folders of the same name, and a file with view_file", async () => {
    expect(await run("list_folder", { path: "app" })).toBe(
      "error: no tracked folder app (did you mean: src/app)",
    );
    expect(await run("list_folder", { path: "README.md" })).toBe("error: README.md is a file; use view_file");
  });
});

describe("bad calls", () => {
  it("names the known tools for an unknown one", async () => {
    expect(await run("run_shell", { command: "cat /etc/passwd" })).toBe(
      "error: unknown tool run_shell (tools: view_file, search_code, list_folder)",
    );
  });

  it("says what is wrong with the arguments", async () => {
    const cases: [string, unknown, string][] = [
      [
        "view_file",
        '{"path": ',
        'error: view_file: arguments must be a JSON object, got the string "{\\"path\\": "',
      ],
      ["view_file", null, "error: view_file: arguments must be a JSON object, got null"],
      ["list_folder", undefined, "error: list_folder: arguments must be a JSON object, got nothing"],
      ["search_code", ["x"], "error: search_code: arguments must be a JSON object, got an array"],
      ["view_file", {}, "error: view_file: missing required argument path"],
      ["view_file", { path: 3 }, "error: view_file: path must be a string, got the number 3"],
      [
        "view_file",
        { path: "README.md", start_line: "2" },
        'error: view_file: start_line must be an integer, got the string "2"',
      ],
      [
        "view_file",
        { path: "README.md", end_line: 1.5 },
        "error: view_file: end_line must be an integer, got the number 1.5",
      ],
      [
        "view_file",
        { path: "README.md", start_line: 0 },
        "error: view_file: start_line must be at least 1, got 0",
      ],
      [
        "view_file",
        { path: "README.md", line: 3 },
        "error: view_file: unknown argument line (arguments: path, start_line, end_line)",
      ],
      [
        "search_code",
        { pattern: "x", regex: "yes" },
        'error: search_code: regex must be a boolean, got the string "yes"',
      ],
      [
        "search_code",
        { pattern: "x", max_results: 0 },
        "error: search_code: max_results must be at least 1, got 0",
      ],
      ["list_folder", { path: ["src"] }, "error: list_folder: path must be a string, got an array"],
      [
        "list_folder",
        JSON.parse('{"__proto__": "src"}'),
        "error: list_folder: unknown argument __proto__ (arguments: path)",
      ],
    ];
    for (const [name, args, expected] of cases) expect(await run(name, args)).toBe(expected);
  });

  it("treats null as an optional argument left out", async () => {
    expect(await run("view_file", { path: "README.md", start_line: null, end_line: null })).toBe(
      "README.md (lines 1-1 of 1)\n   1\t# demo",
    );
  });
});
