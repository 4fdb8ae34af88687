import { spawn } from "node:child_process";

/** One class, function or method of a file, as Python's own parser sees it. */
export interface Definition {
  /** The name as written after `def`/`class`. */
  name: string;
  /** Dotted name inside the file (`Class.method`). */
  qualname: string;
  /** What it is; a `variable` is a module-level assignment to a plain name (a constant, an alias). */
  kind: "class" | "function" | "method" | "variable";
  /** First line (1-based), its first decorator included. */
  start: number;
  /** Last line (1-based, inclusive). */
  end: number;
  /** Last line (1-based) of the `def`/`class` header, which may span several lines. */
  headerEnd: number;
  /** First line (1-based) of the docstring, when there is one. */
  docLine?: number;
  /** Line (1-based) of the first nested definition of a class (its methods start there); absent when none. */
  firstChildStart?: number;
}

/** The outline of one Python file: its definitions and top-level imports. */
export interface FileOutline {
  /** Path relative to the checkout. */
  path: string;
  /** Definitions in file order: top-level classes, functions and assignments, and what classes define inside. */
  definitions: Definition[];
  /** Top-level import statements as [first line, last line] (1-based, inclusive). */
  imports: [number, number][];
  /** Why the file could not be parsed (e.g. `SyntaxError`); absent when it was. */
  error?: string;
}

// Functions nested in functions are left out on purpose: a frame inside one is shown through the
// function that holds it, which is what an edit needs to see anyway.
const OUTLINE_SCRIPT = String.raw`
import ast, json, os, sys
root = sys.argv[1]
def first_doc_line(node):
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
        return body[0].lineno
    return None
def visit(body, prefix, in_class, out):
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            first = node.body[0].lineno if node.body else node.lineno
            header_end = first - 1 if first > node.lineno else node.lineno
            is_class = isinstance(node, ast.ClassDef)
            entry = {"name": node.name, "qualname": prefix + node.name,
                     "kind": "class" if is_class else ("method" if in_class else "function"),
                     "start": start, "end": node.end_lineno, "headerEnd": header_end}
            doc = first_doc_line(node)
            if doc is not None: entry["docLine"] = doc
            out.append(entry)
            if is_class:
                before = len(out)
                visit(node.body, prefix + node.name + ".", True, out)
                if len(out) > before: entry["firstChildStart"] = out[before]["start"]
for rel in sys.stdin.read().split("\0"):
    if not rel: continue
    try:
        with open(os.path.join(root, rel), "rb") as handle:
            tree = ast.parse(handle.read())
    except (SyntaxError, ValueError, RecursionError, OSError, MemoryError) as error:
        print(json.dumps({"path": rel, "definitions": [], "imports": [], "error": type(error).__name__}))
        continue
    definitions = []
    visit(tree.body, "", False, definitions)
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                definitions.append({"name": target.id, "qualname": target.id, "kind": "variable",
                                    "start": node.lineno, "end": node.end_lineno, "headerEnd": node.lineno})
    definitions.sort(key=lambda entry: entry["start"])
    imports = [[node.lineno, node.end_lineno] for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    print(json.dumps({"path": rel, "definitions": definitions, "imports": imports}))
`;

/** The outcome of outlining: per file, or why the parser could not run at all. */
export type OutlineResult = { ok: true; outlines: Map<string, FileOutline> } | { ok: false; message: string };

/**
 * Outlines Python files with the interpreter's own `ast` module, in one subprocess for all of them:
 * a real parser (decorators, multi-line signatures, strings that look like code) without a native
 * build. Files it cannot parse (Python 2 syntax, null bytes) come back with an `error` and no
 * definitions; a missing interpreter is a value, so the caller can fall back to whole files.
 */
export function outlinePythonFiles(
  dir: string,
  paths: readonly string[],
  python = "python3",
): Promise<OutlineResult> {
  if (paths.length === 0) return Promise.resolve({ ok: true, outlines: new Map() });
  return new Promise((resolve) => {
    const child = spawn(python, ["-c", OUTLINE_SCRIPT, dir], { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => resolve({ ok: false, message: `${python}: ${error.message}` }));
    child.on("close", (code) => {
      if (code !== 0) {
        const message = Buffer.concat(stderr).toString("utf8").trim().split("\n").at(-1) ?? "";
        resolve({ ok: false, message: `${python} exited ${code}: ${message}` });
        return;
      }
      resolve({ ok: true, outlines: parseOutlineLines(Buffer.concat(stdout).toString("utf8")) });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(paths.join("\0"));
  });
}

/** Reads the script's JSON lines into outlines by path. */
export function parseOutlineLines(text: string): Map<string, FileOutline> {
  const outlines = new Map<string, FileOutline>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const outline = JSON.parse(line) as FileOutline;
    outlines.set(outline.path, outline);
  }
  return outlines;
}

/** The innermost definition holding `line`, or undefined when the line is at module level. */
export function enclosingDefinition(outline: FileOutline, line: number): Definition | undefined {
  let best: Definition | undefined;
  for (const definition of outline.definitions)
    if (definition.start <= line && line <= definition.end) {
      if (!best || definition.end - definition.start <= best.end - best.start) best = definition;
    }
  return best;
}
