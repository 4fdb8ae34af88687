import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeInstance } from "../dataset/test-support/make-instance.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { prepareFirstMessage } from "./prepare-first-message.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-build-context-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** A module shaped like a large real one: imports, a class with many documented methods, helpers. */
function bigModule(functions: number): string {
  const lines = ['"""Geometry helpers."""', "import math", "from typing import List", "", "", "class Shape:"];
  lines.push('    """A shape in the plane."""', "", "    sides = 0", "");
  for (let index = 0; index < functions; index++)
    lines.push(
      `    def measure_${index}(self, values: List[float]) -> float:`,
      `        """Measures aspect ${index} of the shape."""`,
      `        total = sum(math.fabs(value) for value in values)`,
      `        return total * ${index} / (len(values) or 1)`,
      "",
    );
  lines.push(
    "",
    "def scale_area(shape, factor):",
    '    """Area of the shape scaled by a factor."""',
    "    area = shape.measure_1([1.0, 2.0])",
    "    if factor < 0:",
    '        raise ValueError("the scale factor must not be negative here")',
    "    return area * factor * factor",
    "",
  );
  return `${lines.join("\n")}\n`;
}

const instanceFor = (base: string, problem: string) =>
  makeInstance({ instance_id: "geo__geo-1", base_commit: base, problem_statement: problem });

const lineOf = (text: string, needle: string) =>
  text.split("\n").findIndex((line) => line.includes(needle)) + 1;

describe("what attempt 1 shows", () => {
  it("follows a traceback line to the function that holds it, in a file too big to show whole", async () => {
    const big = bigModule(900); // ~4,500 lines, ~50k tokens: more than the whole budget
    const repo = makeGitRepo({ "geo/__init__.py": "", "geo/shapes.py": big }, join(scratch, "traceback"));
    const frameLine = lineOf(big, "total = sum(math.fabs(value) for value in values)") + 5 * 640;
    expect(big.split("\n")[frameLine - 1]).toContain("math.fabs");
    const problem = [
      "Measuring crashes:",
      "Traceback (most recent call last):",
      '  File "/home/me/app.py", line 3, in <module>',
      `  File "/usr/lib/python3/site-packages/geo/shapes.py", line ${frameLine}, in measure_640`,
      "TypeError: bad operand type for abs(): 'str'",
    ].join("\n");
    const { context, message } = await prepareFirstMessage({
      instance: instanceFor(repo.commit, problem),
      dir: repo.dir,
    });
    const shown = context.files.find((file) => file.path === "geo/shapes.py");
    const start = lineOf(big, "def measure_640(");
    expect(shown?.reason).toBe("traceback");
    expect(shown?.ranges?.some(([from, to]) => from <= start && frameLine <= to && to - from < 60)).toBe(
      true,
    );
    // The piece carries its real line numbers, and its text is the file's own, ready for a SEARCH block.
    const section = shown?.sections.find((piece) => piece.start <= start && start <= piece.end);
    const expected = big
      .split("\n")
      .slice((section?.start ?? 1) - 1, section?.end)
      .join("\n");
    expect(message).toContain(
      `geo/shapes.py lines ${section?.start}-${section?.end}:\n\`\`\`python\n${expected}\n`,
    );
    expect(context.fileTokens).toBeLessThanOrEqual(24_000);
  });

  it("shows a huge file as an outline plus the definition the issue names, with correct line numbers", async () => {
    const big = bigModule(900);
    const repo = makeGitRepo(
      { "geo/__init__.py": "", "geo/shapes.py": big, "geo/units.py": "METERS = 1.0\n" },
      join(scratch, "outline"),
    );
    const problem =
      "`scale_area` raises `ValueError: the scale factor must not be negative here` for a factor of -1, " +
      "but mirroring a shape is a scale by -1.";
    const { context, message } = await prepareFirstMessage({
      instance: instanceFor(repo.commit, problem),
      dir: repo.dir,
      tokenBudget: 4_000,
    });
    const shown = context.files.find((file) => file.path === "geo/shapes.py");
    const start = lineOf(big, "def scale_area(");
    const end = lineOf(big, "return area * factor * factor");
    expect(shown?.ranges).toContainEqual([start, end]);
    expect(message).toContain(
      `geo/shapes.py lines ${start}-${end}:\n\`\`\`python\ndef scale_area(shape, factor):\n`,
    );
    // The outline names other definitions by their line, so the model knows where it is.
    expect(shown?.outline).toContain(`${String(lineOf(big, "class Shape:")).padStart(4)}: class Shape:`);
    expect(shown?.outline).toContain('"""A shape in the plane."""');
    expect(context.fileTokens).toBeLessThanOrEqual(4_000);
    expect(message).not.toContain("Measures aspect 400 of"); // the rest of the file stays out
  });
});
