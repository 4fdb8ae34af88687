import { countTerms, queryTerms, rankCountedBm25, type TermCounts } from "../agent/rank-files-bm25.js";
import { isTestPath } from "./is-test-path.js";
import type { IssueEvidence } from "./issue-evidence.js";
import type { ContextReason } from "./render-context-file.js";

/** A file worth parsing and ranking, with the evidence that brought it in. */
export interface CandidateFile {
  /** Path relative to the checkout. */
  path: string;
  /** The strongest evidence that named it. */
  reason: ContextReason;
  /** Whole-file BM25 score against the issue, 0 when it did not rank. */
  bm25: number;
  /**
   * The code the issue points at calls something it defines: 1, or 2 when a word of the issue names
   * its folder among several that define it (besides the evidence in `reason`).
   */
  called?: number;
  /** Names of its definitions the code the issue points at calls. */
  calledNames?: string[];
  /** A class the issue names in code inherits from a class it defines (besides the evidence in `reason`). */
  inherited?: boolean;
}

/** Files taken from whole-file BM25, after those the evidence names. */
const BM25_FILES = 25;
/** Files taken from BM25 over the pieces of every file, after whole-file BM25's. */
const PIECE_FILES = 15;
/** A name defined in more files than this says little about which one is meant. */
const COMMON_NAME_FILES = 6;
/** Most candidates parsed per instance: outlining costs a few milliseconds a file. */
const MAX_CANDIDATES = 70;
/** Repository modules taken from the imports of the files the issue names or fails in. */
const IMPORTED_FILES = 12;
/** A word naming more code files than this (as module or folder) says little about which is meant. */
const PATH_WORD_FILES = 8;
/** ...or that more than this share of the code files spell. */
const PATH_WORD_SHARE = 0.02;

/**
 * Chooses the files to outline, cheaply and without a parser: files the issue names, files holding a
 * traceback frame, files that define a name the issue uses (a `def name`/`class name` line), files
 * holding an error message's literal text, then whole-file BM25. Everything is read from `documents`,
 * the checkout's own files.
 */
export function chooseCandidateFiles(
  issue: string,
  evidence: IssueEvidence,
  mentioned: readonly string[],
  framePaths: readonly string[],
  documents: ReadonlyMap<string, string>,
  definers: ReadonlyMap<string, readonly string[]> = definingFiles(documents),
): CandidateFile[] {
  const counted = countDocuments(issue, documents);
  const bm25 = new Map(
    rankCountedBm25(counted.terms, counted.files, BM25_FILES).map((ranked) => [ranked.path, ranked.score]),
  );
  const chosen = new Map<string, ContextReason>();
  const add = (path: string, reason: ContextReason) => {
    if (!chosen.has(path)) chosen.set(path, reason);
  };
  for (const path of framePaths) add(path, "traceback");
  for (const path of mentioned) add(path, "mentioned");

  for (const symbol of evidence.symbols) {
    const files = definers.get(symbol.name) ?? [];
    const qualified = symbol.qualifier
      ? files.filter((path) => qualifierMatches(symbol.qualifier ?? "", path, documents.get(path) ?? ""))
      : [];
    const chosenFiles = qualified.length > 0 ? qualified : files.length <= COMMON_NAME_FILES ? files : [];
    for (const path of chosenFiles) add(path, "symbol");
  }
  for (const message of evidence.messages)
    for (const [path, text] of documents) if (text.includes(message)) add(path, "message");
  // The code a named or failing file calls often holds the fix (a migration writer's serializer).
  const strong = [...mentioned, ...framePaths.slice(0, 2)];
  for (const path of importedModules(strong, documents).slice(0, IMPORTED_FILES)) add(path, "imported");
  // A word of the issue that names a module or a package folder (`dbshell`, `PostgreSQL`).
  for (const path of filesNamedByWords(issue, documents)) add(path, "module");
  for (const path of bm25.keys()) add(path, "retrieved");
  // Short files with the issue's rare words rank low as whole files among long ones: ranked as
  // definitions (each `def`/`class` line to the next), their best pieces bring their files in.
  // (Their files get no whole-file points: scaled to that, they pushed better files out on the
  // development set.)
  for (const piece of filesOfBestPieces(counted, PIECE_FILES)) add(piece.path, "retrieved");
  return [...chosen]
    .slice(0, MAX_CANDIDATES)
    .map(([path, reason]) => ({ path, reason, bm25: bm25.get(path) ?? 0 }));
}

/**
 * The repository modules `paths` import (`from a.b import c`, `import a.b`, relative imports), in the
 * order met, each once: `a/b.py`, `a/b/__init__.py` or, for `from a.b import c`, `a/b/c.py`.
 */
export function importedModules(paths: readonly string[], documents: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  const add = (path: string | undefined) => {
    if (path && !paths.includes(path) && !found.includes(path) && !isTestPath(path)) found.push(path);
  };
  // `src/` and `lib/` layouts import their packages without that folder.
  const moduleFile = (dotted: string) =>
    ["", "src/", "lib/"]
      .flatMap((root) => [
        `${root}${dotted.replaceAll(".", "/")}.py`,
        `${root}${dotted.replaceAll(".", "/")}/__init__.py`,
      ])
      .find((file) => documents.has(file));
  for (const path of paths) {
    const packageParts = path.split("/").slice(0, -1);
    for (const match of (documents.get(path) ?? "").matchAll(
      /^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w, \t]+))|import[ \t]+([\w.]+))/gm,
    )) {
      const [, dots = "", fromModule = "", inParentheses, onOneLine, imported] = match;
      const names = inParentheses ?? onOneLine ?? "";
      if (imported) {
        add(moduleFile(imported));
        continue;
      }
      const base = dots
        ? [...packageParts.slice(0, packageParts.length - (dots.length - 1)), ...fromModule.split(".")]
            .filter(Boolean)
            .join(".")
        : fromModule;
      const before = found.length;
      for (const name of names.split(",").map((word) => word.trim().split(/\s/)[0] ?? ""))
        if (/^\w+$/.test(name)) add(moduleFile(`${base}.${name}`));
      if (found.length === before) add(moduleFile(base));
    }
  }
  return found;
}

/** The issue's words of four or more characters, lower case: what can name a module or a folder. */
export function issueWords(issue: string): Set<string> {
  return new Set(issue.toLowerCase().match(/[a-z][a-z0-9_]{3,}/g) ?? []);
}

/**
 * Code files a word of the issue names as their module (`dbshell` → `commands/dbshell.py`) or their
 * folder (`PostgreSQL` → `backends/postgresql/*.py`), when the word names only a few.
 */
export function filesNamedByWords(issue: string, documents: ReadonlyMap<string, string>): string[] {
  const byWord = new Map<string, string[]>();
  for (const path of documents.keys()) {
    if (!path.endsWith(".py") || isTestPath(path)) continue;
    const parts = path.split("/");
    const stem = (parts.at(-1) ?? "").replace(/\.py$/, "");
    const words = new Set(
      [stem, parts.at(-2) ?? ""].filter((word) => word.length >= 4 && word !== "__init__"),
    );
    for (const word of words) byWord.set(word, [...(byWord.get(word) ?? []), path]);
  }
  const found: string[] = [];
  const words = issueWords(issue);
  const texts = [...documents.values()].map((text) => text.toLowerCase());
  for (const word of words) {
    const files = byWord.get(word) ?? [];
    if (files.length === 0 || files.length > PATH_WORD_FILES) continue;
    // A common word (`options`, `error`) that happens to name a module says nothing.
    let using = 0;
    for (const text of texts) if (text.includes(word) && ++using > texts.length * PATH_WORD_SHARE) break;
    if (using > texts.length * PATH_WORD_SHARE) continue;
    for (const path of files) if (!found.includes(path)) found.push(path);
  }
  return found;
}

/** The query terms of an issue counted in every document, whole and by pieces, in one pass. */
export interface CountedDocuments {
  /** The issue's distinct terms. */
  terms: string[];
  /** Each document whole, its path included. */
  files: Map<string, TermCounts>;
  /**
   * Each piece of a Python file (`path#line`, 0-based line of its start), its file's path included.
   * A piece runs from one `def` or `class` line to the next: a cheap cut, no parser (only which
   * files to parse is chosen from it).
   */
  pieces: Map<string, TermCounts>;
}

/**
 * Counts the issue's terms in every document and every piece of a Python file, tokenizing each
 * line once: a file's counts are its path's plus its pieces' (no token spans a line).
 */
export function countDocuments(issue: string, documents: ReadonlyMap<string, string>): CountedDocuments {
  const terms = queryTerms(issue);
  const wanted = new Set(terms);
  const files = new Map<string, TermCounts>();
  const pieces = new Map<string, TermCounts>();
  for (const [path, text] of documents) {
    const pathCounts = countTerms(path.replaceAll("/", " "), wanted);
    const file = addTermCounts(pathCounts);
    if (!path.endsWith(".py")) {
      addTermCounts(countTerms(text, wanted), file);
      files.set(path, file);
      continue;
    }
    const lines = text.split("\n");
    let start = 0;
    const flush = (end: number) => {
      if (end <= start) return;
      const counts = countTerms(lines.slice(start, end).join("\n"), wanted);
      addTermCounts(counts, file);
      pieces.set(`${path}#${start}`, addTermCounts(counts, addTermCounts(pathCounts)));
      start = end;
    };
    lines.forEach((line, index) => {
      if (/^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]/.test(line)) flush(index);
    });
    flush(lines.length);
    files.set(path, file);
  }
  return { terms, files, pieces };
}

/** Adds `counts` into `into` (a fresh empty count by default) and returns it. */
function addTermCounts(counts: TermCounts, into: TermCounts = { length: 0, counts: new Map() }): TermCounts {
  into.length += counts.length;
  for (const [term, count] of counts.counts) into.counts.set(term, (into.counts.get(term) ?? 0) + count);
  return into;
}

/** The files of the best BM25 pieces, each file once with its best piece's score, best first. */
export function filesOfBestPieces(
  counted: CountedDocuments,
  limit: number,
): { path: string; score: number }[] {
  const files: { path: string; score: number }[] = [];
  for (const piece of rankCountedBm25(counted.terms, counted.pieces, limit * 4)) {
    const path = piece.path.slice(0, piece.path.lastIndexOf("#"));
    if (!files.some((file) => file.path === path)) files.push({ path, score: piece.score });
    if (files.length === limit) break;
  }
  return files;
}

/** Does `Class` or `package.module` of a dotted name fit this file (its path, or a class it defines)? */
export function qualifierMatches(qualifier: string, path: string, text: string): boolean {
  const last = qualifier.split(".").at(-1) ?? "";
  if (path.replace(/\.py$/, "").replaceAll("/", ".").endsWith(qualifier)) return true;
  if (path.replace(/(\/__init__)?\.py$/, "").endsWith(`/${last}`)) return true;
  return new RegExp(`^\\s*class\\s+${escapeRegExp(last)}\\b`, "m").test(text);
}

/**
 * Which files define each name, from `def`/`class` lines: a prefilter only (it may list a name
 * inside a string), the definitions themselves come from the parser.
 */
export function definingFiles(documents: ReadonlyMap<string, string>): Map<string, string[]> {
  const definers = new Map<string, string[]>();
  for (const [path, text] of documents)
    for (const match of text.matchAll(/^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)/gm)) {
      const name = match[1] ?? "";
      const files = definers.get(name) ?? [];
      if (files.at(-1) !== path) files.push(path);
      definers.set(name, files);
    }
  return definers;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
