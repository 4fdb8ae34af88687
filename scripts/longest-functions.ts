// Prints the longest functions under src/ by lines of their own: a function's lines minus those of
// the functions nested in it (a nested function's first line stays with its parent, which holds it).
// Tests are left out: a `describe` callback is a list of cases, not a function to split.
// Run: npx tsx scripts/longest-functions.ts [--limit 80] [--top 15]
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

interface FunctionLength {
  /** Where it is: file and line, relative to the repository. */
  where: string;
  /** A readable name: the declared one, or what the function is assigned or passed to. */
  name: string;
  /** Lines of its own. */
  own: number;
}

const root = join(import.meta.dirname, "..");
const flag = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const limit = flag("--limit", 80);
const top = flag("--top", 15);

const lengths = sourceFiles(join(root, "src")).flatMap(measureFile);
lengths.sort((left, right) => right.own - left.own);
for (const entry of lengths.slice(0, top))
  console.log(`${String(entry.own).padStart(4)}  ${entry.name}  ${entry.where}`);
const over = lengths.filter((entry) => entry.own > limit);
console.log(`${over.length} function(s) over ${limit} lines of their own`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : sourceFiles(path);
    return /\.m?ts$/.test(entry.name) && !/\.test\.m?ts$/.test(entry.name) ? [path] : [];
  });
}

function measureFile(path: string): FunctionLength[] {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const line = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const found: FunctionLength[] = [];
  // Returns the lines the function spans, so its parent can subtract them.
  const visit = (node: ts.Node): number => {
    if (!ts.isFunctionLike(node) || !("body" in node) || !node.body) {
      let nested = 0;
      node.forEachChild((child) => {
        nested += visit(child);
      });
      return nested;
    }
    const span = line(node.getEnd()) - line(node.getStart(source)) + 1;
    let nestedLines = 0;
    node.body.forEachChild((child) => {
      nestedLines += visit(child);
    });
    found.push({
      where: `${relative(root, path)}:${line(node.getStart(source)) + 1}`,
      name: functionName(node),
      own: span - nestedLines,
    });
    return span - 1;
  };
  visit(source);
  return found;
}

function functionName(node: ts.SignatureDeclaration): string {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression;
    const called = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText();
    return `(callback of ${called})`;
  }
  return "(anonymous)";
}
