import { describe, expect, it } from "vitest";
import { distinctiveLiterals, readIssueEvidence } from "./issue-evidence.js";

describe("evidence read from an issue", () => {
  it("reads Python, Windows and pytest traceback frames in order", () => {
    const evidence = readIssueEvidence(
      [
        "Traceback (most recent call last):",
        '  File "C:\\Users\\me\\sympy\\core\\basic.py", line 12, in subs',
        '  File "/usr/lib/python3/site-packages/sympy/core/expr.py", line 40, in __add__',
        "src/_pytest/main.py:611: in collect",
      ].join("\n"),
    );
    expect(evidence.frames).toEqual([
      { path: "C:/Users/me/sympy/core/basic.py", line: 12, func: "subs", order: 0 },
      { path: "/usr/lib/python3/site-packages/sympy/core/expr.py", line: 40, func: "__add__", order: 1 },
      { path: "src/_pytest/main.py", line: 611, func: "collect", order: 2 },
    ]);
  });

  it("reads IPython traceback frames: the file and function, then the line marked with an arrow", () => {
    const evidence = readIssueEvidence(
      [
        "/usr/local/lib/python3.8/dist-packages/sympy/printing/latex.py in _print_Pow(self, expr)",
        "    649         else:",
        "--> 651                 return self._print(expr.base, exp=self._print(expr.exp))",
        "",
        "TypeError: _print_SingularityFunction() got an unexpected keyword argument 'exp'",
      ].join("\n"),
    );
    expect(evidence.frames).toEqual([
      {
        path: "/usr/local/lib/python3.8/dist-packages/sympy/printing/latex.py",
        line: 651,
        func: "_print_Pow",
        order: 0,
      },
    ]);
  });

  it("takes names from backticks and code, not plain words, and the literal parts of error messages", () => {
    const evidence = readIssueEvidence(
      [
        "`lambdify` fails when the Matrix is empty; see Query.diagonal and the dummify flag.",
        "```",
        ">>> f = lambdify(x, expr)",
        "This works fine",
        "```",
        "ValueError: Cannot convert 'abc' to a numeric matrix of shape (2, 3)",
        "Running with --collect-only shows it.",
      ].join("\n"),
    );
    const names = evidence.symbols.map(
      (symbol) => `${symbol.qualifier ? `${symbol.qualifier}.` : ""}${symbol.name}`,
    );
    expect(names).toContain("lambdify");
    expect(names).toContain("Query.diagonal");
    expect(names).not.toContain("This");
    expect(names).not.toContain("works");
    expect(evidence.messages).toEqual([
      "to a numeric matrix of shape",
      '"Query.diagonal"',
      "'Query.diagonal'",
      "--collect-only",
    ]);
    const documents = new Map([
      ["a.py", 'raise ValueError("Cannot convert %r to a numeric matrix of shape %s")'],
      ["b.py", "x = 1"],
    ]);
    expect(distinctiveLiterals(evidence.messages, documents)).toEqual(["to a numeric matrix of shape"]);
    // Tests that repeat an option do not make it common: where the code declares it still counts.
    const withTests = new Map([
      ["src/main.py", 'parser.addoption("--collect-only")'],
      ...[1, 2, 3, 4].map((index): [string, string] => [`testing/test_${index}.py`, 'run("--collect-only")']),
    ]);
    expect(distinctiveLiterals(["--collect-only"], withTests)).toEqual(["--collect-only"]);
  });
});

describe("a dotted name the code writes inside quotes", () => {
  it("is looked for where the code generates it (a migration's `models.Model`), quoted either way", () => {
    const evidence = readIssueEvidence(
      [
        "The generated migration fails with NameError:",
        "```",
        "bases=(app.models.MyMixin, models.Model),",
        "```",
      ].join("\n"),
    );
    expect(evidence.messages).toEqual(expect.arrayContaining(['"models.Model"', "'models.Model'"]));
    const documents = new Map([
      ["db/migrations/serializer.py", 'special_cases = [(models.Model, "models.Model", [])]'],
      ["db/models/base.py", "class Model:\n    pass\n"],
      ["app/models.py", "class MyMixin(models.Model):\n    pass\n"],
    ]);
    expect(distinctiveLiterals(evidence.messages, documents)).toEqual(['"models.Model"']);
  });
});

describe("a subcommand run at a shell prompt", () => {
  it("is looked for quoted, as it is declared; not a package manager's or a path", () => {
    const evidence = readIssueEvidence(
      [
        "```",
        "$ flask routes",
        "  $ ./manage.py dbshell -- -c 'select 1'",
        "$ python -m pytest tests/test_app.py",
        "$ pip install python-dotenv",
        "```",
      ].join("\n"),
    );
    expect(evidence.messages).toEqual(['"routes"', "'routes'", '"dbshell"', "'dbshell'"]);
  });
});
