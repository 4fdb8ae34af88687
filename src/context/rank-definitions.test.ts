import { describe, expect, it } from "vitest";
import { readIssueEvidence } from "./issue-evidence.js";
import type { FileOutline } from "./outline-python-files.js";
import { rankDefinitions } from "./rank-definitions.js";

// Shaped like sympy: the class in one module, handler classes with methods named after it in another.
const matexpr = "class MatrixSymbol(MatrixExpr):\n    def __new__(cls, name, n, m):\n        return name\n";
const handlers = Array.from(
  { length: 6 },
  (_, index) =>
    `class AskHandler${index}:\n    @staticmethod\n    def MatrixSymbol(expr, assumptions):\n        return ask(Q.diagonal(expr), assumptions)\n`,
).join("\n");
const handlerOutline: FileOutline = {
  path: "sympy/assumptions/handlers/matrices.py",
  imports: [],
  definitions: Array.from({ length: 6 }, (_, index) => [
    {
      name: `AskHandler${index}`,
      qualname: `AskHandler${index}`,
      kind: "class" as const,
      start: 1 + index * 5,
      end: 4 + index * 5,
      headerEnd: 1 + index * 5,
      firstChildStart: 2 + index * 5,
    },
    {
      name: "MatrixSymbol",
      qualname: `AskHandler${index}.MatrixSymbol`,
      kind: "method" as const,
      start: 2 + index * 5,
      end: 4 + index * 5,
      headerEnd: 3 + index * 5,
    },
  ]).flat(),
};
const matexprOutline: FileOutline = {
  path: "sympy/matrices/expressions/matexpr.py",
  imports: [],
  definitions: [
    {
      name: "MatrixSymbol",
      qualname: "MatrixSymbol",
      kind: "class",
      start: 1,
      end: 3,
      headerEnd: 1,
      firstChildStart: 2,
    },
    { name: "__new__", qualname: "MatrixSymbol.__new__", kind: "method", start: 2, end: 3, headerEnd: 2 },
  ],
};

describe("ranking definitions", () => {
  it("does not let methods named after a class make the class itself look common", () => {
    const issue = "```\n>>> M = MatrixSymbol('M', 2, 2)\n>>> ask(Q.diagonal(M))\n```\nreturns None";
    const documents = new Map([
      [handlerOutline.path, handlers],
      [matexprOutline.path, matexpr],
    ]);
    const ranked = rankDefinitions(
      issue,
      readIssueEvidence(issue),
      [...documents.keys()].map((path) => ({ path, reason: "symbol" as const, bm25: 0 })),
      new Map([
        [handlerOutline.path, handlerOutline],
        [matexprOutline.path, matexprOutline],
      ]),
      documents,
      [],
    );
    expect(ranked[0]?.path).toBe("sympy/matrices/expressions/matexpr.py");
    expect(ranked[0]?.definitions[0]?.definition.qualname).toBe("MatrixSymbol");
  });

  it("puts the method an error message names before one the issue only mentions", () => {
    const printer =
      "class LatexPrinter:\n    def _print_Beam(self, e):\n        return e\n    def _print_Load(self, e):\n        return e\n";
    const outline: FileOutline = {
      path: "sympy/printing/latex.py",
      imports: [],
      definitions: [
        {
          name: "LatexPrinter",
          qualname: "LatexPrinter",
          kind: "class",
          start: 1,
          end: 5,
          headerEnd: 1,
          firstChildStart: 2,
        },
        {
          name: "_print_Beam",
          qualname: "LatexPrinter._print_Beam",
          kind: "method",
          start: 2,
          end: 3,
          headerEnd: 2,
        },
        {
          name: "_print_Load",
          qualname: "LatexPrinter._print_Load",
          kind: "method",
          start: 4,
          end: 5,
          headerEnd: 4,
        },
      ],
    };
    // Both names are code in the issue; only the error line makes one of them the failure's own.
    const issue = "```\nb._print_Beam(x)\nTypeError: _print_Load() got an unexpected keyword argument\n```";
    const ranked = rankDefinitions(
      issue,
      readIssueEvidence(issue),
      [{ path: outline.path, reason: "symbol" as const, bm25: 0 }],
      new Map([[outline.path, outline]]),
      new Map([[outline.path, printer]]),
      [],
    );
    expect(ranked[0]?.definitions[0]?.definition.qualname).toBe("LatexPrinter._print_Load");
  });
});
