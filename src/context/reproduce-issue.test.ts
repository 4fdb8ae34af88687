import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildContext } from "../agent/build-context.js";
import { makeInstance } from "../dataset/test-support/make-instance.js";
import { createIsolatedBackend, isolationAvailable } from "../exec/isolated-backend.js";
import { requireSandbox } from "../exec/test-support/require-sandbox.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import {
  backendScriptRunner,
  describeReproduction,
  issueCodeBlocks,
  readReproduction,
  reproduceIssue,
  reproductionScript,
} from "./reproduce-issue.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-reproduce-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("issueCodeBlocks", () => {
  it("keeps Python blocks and a session's input, not tracebacks nor other languages", () => {
    const issue = [
      "Fails:",
      "```python",
      "x = area(-1)",
      "```",
      "```",
      ">>> from geo import area",
      ">>> area(",
      "...     -1)",
      "0",
      "```",
      "```",
      "Traceback (most recent call last):",
      '  File "geo/shapes.py", line 3, in area',
      "ValueError: negative",
      "```",
      "```cmd",
      "pip install geo",
      "```",
    ].join("\r\n");
    expect(issueCodeBlocks(issue)).toEqual(["x = area(-1)\n", "from geo import area\narea(\n    -1)\n"]);
  });
});

/** A package whose `area` fails two calls down, with the error the issue names. */
const GEO = {
  "geo/__init__.py": "from geo.shapes import area\n",
  "geo/shapes.py": [
    "from geo.measure import measure",
    "",
    "",
    "def area(side):",
    "    return measure(side) ** 2",
    "",
  ].join("\n"),
  "geo/measure.py": [
    "from geo.units import scale",
    "",
    "",
    "def measure(value):",
    "    return scale(value)",
    "",
  ].join("\n"),
  "geo/units.py": [
    "def scale(value):",
    "    if value < 0:",
    '        raise ValueError("bad length")',
    "    return value",
    "",
  ].join("\n"),
};

const skip = requireSandbox(
  "running the issue's code in the isolated backend",
  isolationAvailable() ? undefined : "bubblewrap cannot create namespaces here (apt-get install bubblewrap)",
);

describe.skipIf(skip)("running the issue's code (real Python in the isolated backend)", () => {
  const backend = createIsolatedBackend();

  it("reads the frames of the failure the issue names, importing the package the snippet left out", async () => {
    const repo = makeGitRepo(GEO, join(scratch, "geo"));
    const issue = "`area` raises ValueError for a negative side:\n```python\nprint(area(-2))\n```\n";
    const runner = backendScriptRunner(backend, repo.dir, repo.commit);
    const reproduction = await reproduceIssue(issue, runner, "geo");
    expect(reproduction?.error).toBe("ValueError");
    expect(reproduction?.reproduced).toBe(true);
    const frames = (reproduction?.frames ?? []).map(
      (frame) => `${frame.path.split("/").slice(-2).join("/")}:${frame.line}`,
    );
    expect(frames).toEqual(
      ["geo/shapes.py:5", "geo/measure.py:5", "geo/units.py:3"].map((tail) => expect.stringMatching(tail)),
    );
  });

  it("does not use a failure the issue does not name, and leaves the checkout clean", async () => {
    const repo = makeGitRepo(GEO, join(scratch, "other"));
    // The snippet writes a file and fails on a name it never defined: nothing to learn from.
    const issue =
      "`area` is wrong for ValueError cases:\n```python\nopen('junk.txt', 'w').write('x')\nprint(undefined_name)\n```\n";
    const runner = backendScriptRunner(backend, repo.dir, repo.commit);
    const reproduction = await reproduceIssue(issue, runner, "geo");
    expect(reproduction).toMatchObject({ error: "NameError", reproduced: false, frames: [] });
    expect(
      execFileSync("git", ["status", "--porcelain", "--ignored"], { cwd: repo.dir, encoding: "utf8" }),
    ).toBe("");
  });

  it("brings the file the reproduced failure runs through into the context", async () => {
    // Many modules match the issue's words better than units.py does; only the run points at it.
    const files: Record<string, string> = { ...GEO };
    for (let index = 0; index < 30; index++)
      files[`geo/area_tools_${index}.py`] = [
        `def negative_side_area_${index}(side):`,
        '    """The area of a negative side, which raises ValueError for a side below zero.',
        "",
        "    The area of a negative side is the area of its absolute value; a negative side",
        '    raises when the area of a negative side cannot be measured."""',
        `    return abs(side) * ${index}`,
        "",
      ].join("\n");
    const repo = makeGitRepo(files, join(scratch, "context"));
    const instance = makeInstance({
      instance_id: "geo__geo-3",
      repo: "geo/geo",
      base_commit: repo.commit,
      problem_statement: "The area of a negative side raises ValueError:\n```python\nprint(area(-2))\n```\n",
    });
    const runner = backendScriptRunner(backend, repo.dir, repo.commit);
    const withRun = await buildContext({ instance, dir: repo.dir, tokenBudget: 400, reproduce: runner });
    const without = await buildContext({ instance, dir: repo.dir, tokenBudget: 400 });
    expect(withRun.files.map((file) => file.path)).toContain("geo/units.py");
    expect(without.files.map((file) => file.path)).not.toContain("geo/units.py");
    expect(withRun.reproduction).toMatchObject({ error: "ValueError", reproduced: true });
    expect(withRun.notes.join("\n")).toContain("raised ValueError as the issue says");
  });
});

describe("readReproduction", () => {
  it("takes the last traceback of a chained failure", () => {
    const output = [
      "Traceback (most recent call last):",
      '  File "/work/geo/cache.py", line 9, in get',
      "KeyError: 'zero'",
      "",
      "During handling of the above exception, another exception occurred:",
      "",
      "Traceback (most recent call last):",
      '  File "<issue block 1>", line 2, in <module>',
      '  File "/work/geo/mod.py", line 169, in eval',
      "geo.errors.PolynomialError: Piecewise generators do not make sense",
    ].join("\n");
    const read = readReproduction(output, "I get a `PolynomialError` from subs");
    expect(read.error).toBe("PolynomialError");
    expect(read.frames.map((frame) => [frame.path, frame.line])).toEqual([["/work/geo/mod.py", 169]]);
  });

  it("reads the exception's own line, not a message that goes on over more lines", () => {
    const output = [
      "Traceback (most recent call last):",
      '  File "/work/geo/solve.py", line 12, in solve',
      "    raise NotImplementedError(msg)",
      "NotImplementedError: could not solve",
      "True: is what it printed",
    ].join("\n");
    expect(readReproduction(output, "solve raises NotImplementedError").error).toBe("NotImplementedError");
    expect(readReproduction(output, "it prints True").reproduced).toBe(false);
  });

  it("is a script that skips what does not compile and stops at the first exception", () => {
    const blocks = [
      "x = 41\n",
      "x + 1\n-> 42\n",
      "print(x + 1)\n",
      "raise ValueError('v')\n",
      "print('after')\n",
    ];
    // The test's own harmless blocks, run by real Python.
    const run = spawnSync("python3", ["-"], { input: reproductionScript(blocks), encoding: "utf8" });
    // What the code printed, then the traceback, in that order on one stream.
    expect(run.stdout).toMatch(
      /^42\nTraceback \(most recent call last\):\n[\s\S]*File "<issue block 3>", line 1[\s\S]*\nValueError: v\n$/,
    );
    expect(reproductionScript(["x = 1\n"], "geo")).toContain("from geo import *");
    expect(reproductionScript(["import geo\n"], "geo")).not.toContain("from geo import *");
  });
});

describe("describeReproduction", () => {
  it("tells a run that never reached Python from one that raised nothing", () => {
    const base = { blocks: 1, reproduced: false, frames: [], timedOut: false };
    expect(
      describeReproduction({ ...base, exitCode: 127, output: "run.sh: line 1: python: command not found\n" }),
    ).toBe(
      "ran the issue's code (1 block): exited with 127 without a Python traceback (run.sh: line 1: python: command not found); no evidence",
    );
    expect(describeReproduction({ ...base, exitCode: 0, output: "42\n" })).toBe(
      "ran the issue's code (1 block): no exception, no evidence",
    );
  });
});
