import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readIssueEvidence } from "../context/issue-evidence.js";
import { makeInstance } from "../dataset/test-support/make-instance.js";
import { makeGitRepo } from "../workspace/test-support/make-git-repo.js";
import { prepareFirstMessage } from "./prepare-first-message.js";

const scratch = mkdtempSync(join(tmpdir(), "swegate-context-neighbours-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/**
 * A module too big to show whole, shaped like sympy's: imports at the top and again at the bottom
 * (to break an import cycle), a small class, a helper just above the function an issue names.
 */
function module(): string {
  const lines = ['"""Geometry."""', "import math", "from typing import List", "", ""];
  lines.push(
    "class Ruler:",
    '    """Measures lengths."""',
    "",
    "    def __init__(self, unit):",
    "        self.unit = unit",
    "",
    "    def length(self, points):",
    "        return math.dist(*points) * self.unit",
    "",
    "",
  );
  for (let index = 0; index < 600; index++)
    lines.push(
      `def filler_${index}(values: List[float]) -> float:`,
      `    return sum(values) * ${index}`,
      "",
      "",
    );
  lines.push(
    "def _normalise(weight):",
    "    return abs(weight) or 1",
    "",
    "",
    "def blend_colours(first, second, weight):",
    '    """Mixes two colours."""',
    "    weight = _normalise(weight)",
    "    return (first + second) / weight",
    "",
    "",
    "from geo.units import METERS  # noqa: E402 (cycle)",
    "",
  );
  return lines.join("\n");
}

const instanceFor = (base: string, problem: string) =>
  makeInstance({ instance_id: "geo__geo-2", base_commit: base, problem_statement: problem });

const lineOf = (text: string, needle: string) =>
  text.split("\n").findIndex((line) => line.includes(needle)) + 1;
const covers = (ranges: [number, number][] | null | undefined, from: number, to: number) =>
  ranges === null || (ranges ?? []).some(([start, end]) => start <= from && to <= end);

describe("the neighbours of what the issue points at", () => {
  it("shows a small class whole, the top import block, and the short function next to the named one", async () => {
    const text = module();
    const repo = makeGitRepo(
      { "geo/__init__.py": "", "geo/shapes.py": text, "geo/units.py": "METERS = 1.0\n" },
      join(scratch, "neighbours"),
    );
    const problem =
      // No word of the methods or the helper: only the rules can bring them in.
      "`Ruler` is wrong for negative input, and `blend_colours` fails on black.";
    const { context } = await prepareFirstMessage({
      instance: instanceFor(repo.commit, problem),
      dir: repo.dir,
      tokenBudget: 3_000,
    });
    const shown = context.files.find((file) => file.path === "geo/shapes.py");
    expect(shown?.ranges).not.toBeNull();
    // The class with its methods, though only the class was named.
    expect(covers(shown?.ranges, lineOf(text, "class Ruler:"), lineOf(text, "return math.dist"))).toBe(true);
    // The imports at the top, though the module imports again at its end.
    expect(covers(shown?.ranges, 1, 3)).toBe(true);
    // The helper just above the named function.
    expect(covers(shown?.ranges, lineOf(text, "def _normalise"), lineOf(text, "return abs(weight)"))).toBe(
      true,
    );
    expect(covers(shown?.ranges, lineOf(text, "def filler_300"), lineOf(text, "def filler_300"))).toBe(false);
  });
});

describe("names an error message uses", () => {
  it("are marked as the failure's own, whether called, quoted or written as code", () => {
    const evidence = readIssueEvidence(
      [
        "```",
        ">>> latex(expr)",
        "TypeError: _print_SingularityFunction() got an unexpected keyword argument 'exp'",
        "AttributeError: 'Ruler' object has no attribute 'unit_scale'",
        "```",
        "`latex` is fine otherwise.",
      ].join("\n"),
    );
    const inError = evidence.symbols.filter((symbol) => symbol.inError).map((symbol) => symbol.name);
    expect(inError.sort()).toEqual(["Ruler", "_print_SingularityFunction", "exp", "unit_scale"]);
    expect(evidence.symbols.find((symbol) => symbol.name === "latex")?.inError).toBeUndefined();
  });
});

describe("what a named method points at", () => {
  it("shows the constructor of the class whose method the issue names", async () => {
    const methods = Array.from(
      { length: 300 },
      (_, index) => `    def resolve_${index}(self, compiler):\n        return compiler.quote(${index})\n`,
    );
    const expressions = [
      "class Subquery:",
      '    """A query inside another."""',
      "",
      "    def __init__(self, queryset, output_field=None):",
      "        self.query = getattr(queryset, 'query', queryset)",
      "        self.output_field = output_field",
      "",
      ...methods,
      "    def as_sql(self, compiler, connection):",
      "        sql = self.query.as_sql(compiler, connection)",
      "        return sql[1:-1]",
      "",
    ].join("\n");
    const repo = makeGitRepo(
      { "db/__init__.py": "", "db/expressions.py": expressions },
      join(scratch, "constructor"),
    );
    const lines = (text: string) => text.split("\n");
    const { context } = await prepareFirstMessage({
      instance: instanceFor(repo.commit, "`Subquery.as_sql()` drops the first letter of the SQL."),
      dir: repo.dir,
      tokenBudget: 3_000,
    });
    const shownExpressions = context.files.find((file) => file.path === "db/expressions.py");
    expect(shownExpressions?.ranges).not.toBeNull();
    expect(
      covers(shownExpressions?.ranges, lineOf(expressions, "def as_sql"), lines(expressions).length - 1),
    ).toBe(true);
    expect(
      covers(
        shownExpressions?.ranges,
        lineOf(expressions, "def __init__"),
        lineOf(expressions, "self.output_field ="),
      ),
    ).toBe(true);
  });
});

describe("what the issue's own code calls", () => {
  it("shows the backend the issue names among those defining what a named command calls", async () => {
    const client = (vendor: string) =>
      [
        "class DatabaseClient:",
        `    executable_name = "${vendor.slice(0, 2)}sql"`,
        "",
        "    def runshell(self, args):",
        "        args = [self.executable_name, self.settings['NAME'], *args]",
        "        return args",
        "",
        ...Array.from(
          { length: 25 },
          (_, index) => `    def option_${index}(self, value):\n        return value * ${index}\n`,
        ),
      ].join("\n");
    const files: Record<string, string> = {
      "db/__init__.py": "",
      "db/commands/dbshell.py": [
        "class Command:",
        "    def handle(self, connection, **options):",
        '        connection.client.runshell(options["extra"])',
        "",
      ].join("\n"),
    };
    for (const vendor of ["postgresql", "mysql", "oracle", "sqlite3"])
      files[`db/backends/${vendor}/client.py`] = client(vendor);
    // Short files that match the issue's words better than any client does, more than the budget holds.
    for (let index = 0; index < 14; index++)
      files[`db/backends/postgresql/helper_${index}.py`] = Array.from(
        { length: 4 },
        (_, line) =>
          `def quote_${line}(value):\n    """Quotes the dbname for the shell."""\n    return value\n`,
      ).join("\n");
    // The vendor's name is everywhere in the code: as a word it names no module by itself.
    for (let index = 0; index < 12; index++)
      files[`db/utils/vendors_${index}.py`] = `VENDORS = ["postgresql"]\n`;
    const repo = makeGitRepo(files, join(scratch, "called"));
    const { context } = await prepareFirstMessage({
      instance: instanceFor(
        repo.commit,
        "dbshell: additional parameters should be passed before the dbname on PostgreSQL.",
      ),
      dir: repo.dir,
      tokenBudget: 700,
    });
    const shown = context.files.map((file) => file.path);
    expect(shown).toContain("db/backends/postgresql/client.py");
    expect(shown).not.toContain("db/backends/mysql/client.py");
  });

  it("shows the method a function the issue calls calls, in a file too big to show whole", async () => {
    // The generator: its methods spell the issue's words; the one that builds the argument list,
    // where the fix goes, does not.
    const generator = ["class CodeGen:"];
    for (let index = 0; index < 300; index++)
      generator.push(
        `    def array_signature_${index}(self, arrays):`,
        `        """The C signature of array arguments, case ${index}."""`,
        `        return [a * ${index} for a in arrays]`,
        "",
      );
    generator.push("    def routine(self, name, expr, argument_sequence):", "        arguments = []");
    generator.push("        for symbol in argument_sequence:", "            arguments.append(symbol)");
    generator.push("        return (name, expr, arguments)", "");
    const wrapper = ["from gen.codegen import CodeGen", ""];
    for (let index = 0; index < 200; index++)
      wrapper.push(`def helper_${index}(value):`, "    return value", "");
    wrapper.push(
      "def autowrap(expr, args=None, backend='f2py'):",
      '    """Wraps an expression; e.g. `autowrap(x, backend="cython")`."""',
      "    code_gen = CodeGen()",
      "    routine = code_gen.routine('autofunc', expr, args)",
      "    return routine",
      "",
    );
    const repo = makeGitRepo(
      {
        "gen/__init__.py": "",
        "gen/codegen.py": generator.join("\n"),
        "gen/autowrap.py": wrapper.join("\n"),
      },
      join(scratch, "callee"),
    );
    const problem = [
      "autowrap with the cython backend generates the wrong C signature for array arguments:",
      "```python",
      "from gen.autowrap import autowrap",
      "f = autowrap(1.0, args=(x,), backend='cython')",
      "```",
    ].join("\n");
    const { context } = await prepareFirstMessage({
      instance: instanceFor(repo.commit, problem),
      dir: repo.dir,
      tokenBudget: 2_500,
    });
    const text = generator.join("\n");
    const shown = context.files.find((file) => file.path === "gen/codegen.py");
    expect(shown?.ranges).not.toBeNull();
    expect(covers(shown?.ranges, lineOf(text, "def routine"), lineOf(text, "return (name, expr"))).toBe(true);
  });
});
