import { rankFilesBm25 } from "../agent/rank-files-bm25.js";
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
}

/** Files taken from whole-file BM25, after those the evidence names. */
const BM25_FILES = 25;
/** A name defined in more files than this says little about which one is meant. */
const COMMON_NAME_FILES = 6;
/** Most candidates parsed per instance: outlining costs a few milliseconds a file. */
const MAX_CANDIDATES = 60;

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
): CandidateFile[] {
  const bm25 = new Map(rankFilesBm25(issue, new Map(documents), BM25_FILES).map((r) => [r.path, r.score]));
  const chosen = new Map<string, ContextReason>();
  const add = (path: string, reason: ContextReason) => {
    if (!chosen.has(path)) chosen.set(path, reason);
  };
  for (const path of framePaths) add(path, "traceback");
  for (const path of mentioned) add(path, "mentioned");

  const definers = definingFiles(documents);
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
  for (const path of bm25.keys()) add(path, "retrieved");
  return [...chosen]
    .slice(0, MAX_CANDIDATES)
    .map(([path, reason]) => ({ path, reason, bm25: bm25.get(path) ?? 0 }));
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
