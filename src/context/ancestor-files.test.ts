import { describe, expect, it } from "vitest";
import { ancestorFiles, withAncestorFiles } from "./ancestor-files.js";
import { definingFiles } from "./choose-candidate-files.js";
import type { NamedSymbol } from "./issue-evidence.js";

const documents = new Map([
  [
    "sympy/core/symbol.py",
    "from .expr import AtomicExpr\n\nclass Symbol(AtomicExpr, Boolean):\n    __slots__ = ('name',)\n",
  ],
  [
    "sympy/core/expr.py",
    "class Expr(Basic):\n    __slots__ = ()\n\nclass AtomicExpr(Atom, Expr):\n    __slots__ = ()\n",
  ],
  [
    "sympy/core/basic.py",
    "class Basic(Printable, metaclass=ManagedProperties):\n    __slots__ = ()\n\nclass Atom(Basic):\n    pass\n",
  ],
  ["sympy/core/_print_helpers.py", "class Printable:\n    def __str__(self):\n        return sstr(self)\n"],
  ["sympy/logic/boolalg.py", "class Boolean(Basic):\n    __slots__ = ()\n"],
  ["sympy/core/tests/test_symbol.py", "class Printable:\n    pass\n"],
  ["sympy/core/cache.py", "def cached(f):\n    return f\n"],
]);

const named = (name: string, strength: 1 | 2 = 2): NamedSymbol => ({ name, strength });

describe("ancestorFiles", () => {
  it("follows the bases of a named class up through the files that define them, tests left out", () => {
    expect(ancestorFiles(["Symbol"], documents, definingFiles(documents)).sort()).toEqual([
      "sympy/core/_print_helpers.py",
      "sympy/core/basic.py",
      "sympy/core/expr.py",
      "sympy/logic/boolalg.py",
    ]);
  });

  it("stops after four generations of bases", () => {
    const chain = new Map<string, string>();
    for (let index = 0; index < 7; index++)
      chain.set(`pkg/level${index}.py`, `class Level${index}(Level${index + 1}):\n    pass\n`);
    const found = ancestorFiles(["Level0"], chain, definingFiles(chain));
    expect(found).toEqual(["pkg/level1.py", "pkg/level2.py", "pkg/level3.py", "pkg/level4.py"]);
  });
});

describe("withAncestorFiles", () => {
  it("adds the bases' files of a class named in code, and marks those already chosen", () => {
    const candidates = [
      { path: "sympy/core/symbol.py", reason: "symbol" as const, bm25: 1 },
      { path: "sympy/core/basic.py", reason: "retrieved" as const, bm25: 0.5 },
    ];
    const widened = withAncestorFiles(candidates, [named("Symbol")], documents, definingFiles(documents));
    expect(widened.map((entry) => [entry.path, entry.reason, entry.inherited ?? false])).toEqual([
      ["sympy/core/symbol.py", "symbol", false],
      ["sympy/core/basic.py", "retrieved", true],
      ["sympy/core/expr.py", "ancestor", false],
      ["sympy/logic/boolalg.py", "ancestor", false],
      ["sympy/core/_print_helpers.py", "ancestor", false],
    ]);
  });

  it("leaves a class named only in prose alone", () => {
    const candidates = [{ path: "sympy/core/symbol.py", reason: "symbol" as const, bm25: 1 }];
    expect(withAncestorFiles(candidates, [named("Symbol", 1)], documents, definingFiles(documents))).toEqual(
      candidates,
    );
  });
});
