import { describe, expect, it } from "vitest";
import { findMentionedPaths } from "./find-mentioned-paths.js";

describe("paths an issue names", () => {
  it("takes a package's main module along with its __init__ when a dotted name names the package", () => {
    const files = [
      "sympy/printing/pretty/__init__.py",
      "sympy/printing/pretty/pretty.py",
      "sympy/printing/latex.py",
    ];
    expect(findMentionedPaths("the output of sympy.printing.pretty is wrong", files)).toEqual([
      "sympy/printing/pretty/__init__.py",
      "sympy/printing/pretty/pretty.py",
    ]);
  });
});
