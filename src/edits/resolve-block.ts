import { comparable, findLineMatches } from "./match-lines.js";

/** How a block was matched to the file. */
export type MatchMethod =
  | "exact"
  | "indentation"
  | "leading-blank-line"
  | "elision"
  | "create"
  | "append"
  | "diff";

/** The file lines most like a SEARCH that did not match. */
export interface NearestLines {
  /** 1-based first line of the window in the file. */
  firstLine: number;
  /** 1-based last line of the window in the file. */
  lastLine: number;
  /** The window's lines, verbatim, newline-separated. */
  text: string;
  /** The window with up to `NEAREST_CONTEXT_LINES` real lines either side: where it sits in the file. */
  around: { firstLine: number; lastLine: number; text: string };
}

/** Lines shown either side of the nearest match: enough to see the enclosing block, few enough to read. */
export const NEAREST_CONTEXT_LINES = 3;

/** A block resolved against a file's lines: the new lines, and where and how it matched. */
export interface Resolved {
  ok: true;
  /** The file's lines with the block applied. */
  lines: string[];
  /** How the SEARCH was matched. */
  method: MatchMethod;
  /** 0-based line where the SEARCH matched (and the REPLACE now starts). */
  at: number;
  /** 0-based line just after the REPLACE as written: where the next block of the file starts looking. */
  end: number;
  /** How many places the SEARCH matched (more than one: `at` is the one chosen). */
  places: number;
}

/** A block resolved against a file's lines, or why it could not be. */
export type Resolution = Resolved | { ok: false; reason: string; didYouMean?: NearestLines };

const isBlank = (line: string) => line.trim() === "";
const ELISION = /^\s*\.\.\.\s*$/;

/**
 * Of several places a SEARCH matches, the first at or after `after` (where the file's previous block
 * ended), else the first: models write blocks in file order, and Aider (whose answers SWE-bench
 * leaderboards hold) applies such a SEARCH at its first occurrence rather than refusing it.
 */
function choosePlace(found: number[], after: number): number {
  return found.find((at) => at >= after) ?? (found[0] as number);
}

function splice(lines: string[], at: number, length: number, put: string[]): string[] {
  return [...lines.slice(0, at), ...put, ...lines.slice(at + length)];
}

/**
 * Resolves one block, trying in turn: an exact whole-line match; the same lines indented by a
 * constant amount more or less (the same shift then applies to REPLACE); the SEARCH without a
 * spurious leading blank line; `...` lines in both SEARCH and REPLACE standing for unchanged lines.
 * A SEARCH found in several places goes to the first at or after line `after` (0-based), else the
 * first. `newline` turns a REPLACE line into a file line (adds `\r` in a CRLF file).
 */
export function resolveBlock(
  lines: string[],
  search: string[],
  replace: string[],
  newline: (line: string) => string,
  after = 0,
): Resolution {
  const attempt = (find: string[], put: string[], method: MatchMethod): Resolution | undefined => {
    const found = findLineMatches(lines, find);
    if (found.length > 0) {
      const at = choosePlace(found, after);
      const written = put.map(newline);
      const end = at + written.length;
      return {
        ok: true,
        lines: splice(lines, at, find.length, written),
        method,
        at,
        end,
        places: found.length,
      };
    }
    const shifted = findShiftedMatches(lines, find);
    if (shifted.length === 0) return undefined;
    const at = choosePlace(
      shifted.map((match) => match.at),
      after,
    );
    const match = shifted.find((candidate) => candidate.at === at) as (typeof shifted)[number];
    const written = put.map((line) => newline(match.shift(line)));
    return {
      ok: true,
      lines: splice(lines, at, find.length, written),
      method: method === "exact" ? "indentation" : method,
      at,
      end: at + written.length,
      places: shifted.length,
    };
  };
  const exact = attempt(search, replace, "exact");
  if (exact) return exact;
  if (search.length > 1 && isBlank(search[0] as string)) {
    const put = replace.length > 0 && isBlank(replace[0] as string) ? replace.slice(1) : replace;
    const trimmed = attempt(search.slice(1), put, "leading-blank-line");
    if (trimmed) return trimmed;
  }
  if (search.some((line) => ELISION.test(line))) {
    const elided = resolveElision(lines, search, replace, newline);
    if (elided) return elided;
  }
  return { ok: false, reason: "SEARCH does not match the file", didYouMean: findNearestLines(lines, search) };
}

/** Matches of `find` where every non-blank line carries the same extra (or missing) leading whitespace. */
function findShiftedMatches(
  lines: string[],
  find: string[],
): { at: number; shift: (line: string) => string }[] {
  const matches: { at: number; shift: (line: string) => string }[] = [];
  if (find.every(isBlank)) return matches;
  for (let at = 0; at + find.length <= lines.length; at++) {
    let added: string | undefined;
    let removed: string | undefined;
    let same = true;
    for (const [offset, wanted] of find.entries()) {
      const actual = comparable(lines[at + offset] as string);
      if (isBlank(wanted) && isBlank(actual)) continue;
      const extra = actual.endsWith(wanted) ? actual.slice(0, actual.length - wanted.length) : undefined;
      const missing = wanted.endsWith(actual) ? wanted.slice(0, wanted.length - actual.length) : undefined;
      if (extra !== undefined && /^\s+$/.test(extra) && removed === undefined && (added ?? extra) === extra)
        added = extra;
      else if (
        missing !== undefined &&
        /^\s+$/.test(missing) &&
        added === undefined &&
        (removed ?? missing) === missing
      )
        removed = missing;
      else {
        same = false;
        break;
      }
    }
    if (!same || (added === undefined && removed === undefined)) continue;
    const shift = (line: string) => {
      if (isBlank(line)) return line;
      if (added !== undefined) return added + line;
      const cut = removed as string;
      return line.startsWith(cut) ? line.slice(cut.length) : line.trimStart();
    };
    matches.push({ at, shift });
  }
  return matches;
}

/** `...` lines stand for unchanged text: each piece must match once, in order, and what lies between stays. */
function resolveElision(
  lines: string[],
  search: string[],
  replace: string[],
  newline: (line: string) => string,
): Resolution | undefined {
  const pieces = (block: string[]) => {
    const result: string[][] = [[]];
    for (const line of block) {
      if (ELISION.test(line)) result.push([]);
      else result.at(-1)?.push(line);
    }
    return result;
  };
  const searchPieces = pieces(search);
  const replacePieces = pieces(replace);
  if (searchPieces.length !== replacePieces.length) return undefined;
  let result = lines;
  let from = 0;
  let first: number | undefined;
  for (const [index, piece] of searchPieces.entries()) {
    if (piece.length === 0) continue;
    const found = findLineMatches(result.slice(from), piece).map((at) => at + from);
    if (found.length !== 1) return undefined;
    const at = found[0] as number;
    const put = (replacePieces[index] as string[]).map(newline);
    result = splice(result, at, piece.length, put);
    first ??= at;
    from = at + put.length;
  }
  return { ok: true, lines: result, method: "elision", at: first ?? 0, end: from, places: 1 };
}

/** The window of the file most like the SEARCH lines (by shared words per line), for "did you mean". */
export function findNearestLines(lines: string[], search: string[]): NearestLines | undefined {
  const wanted = search.filter((line) => !ELISION.test(line));
  if (lines.length === 0 || wanted.length === 0) return undefined;
  const tokens = (line: string) => new Set(line.split(/\W+/).filter(Boolean));
  const wantedTokens = wanted.map(tokens);
  const fileTokens = lines.map((line) => tokens(comparable(line)));
  let best = { score: 0, start: 0 };
  for (let start = 0; start < lines.length; start++) {
    let score = 0;
    for (const [index, line] of wanted.entries()) {
      const actual = lines[start + index];
      if (actual === undefined) break;
      score += similarity(
        line.trim(),
        comparable(actual).trim(),
        wantedTokens[index] as Set<string>,
        fileTokens[start + index] as Set<string>,
      );
    }
    if (score > best.score) best = { score, start };
  }
  if (best.score === 0) return undefined;
  const window = lines.slice(best.start, best.start + wanted.length).map(comparable);
  const aroundStart = Math.max(0, best.start - NEAREST_CONTEXT_LINES);
  const around = lines.slice(aroundStart, best.start + window.length + NEAREST_CONTEXT_LINES).map(comparable);
  return {
    firstLine: best.start + 1,
    lastLine: best.start + window.length,
    text: window.join("\n"),
    around: { firstLine: aroundStart + 1, lastLine: aroundStart + around.length, text: around.join("\n") },
  };
}

function similarity(left: string, right: string, leftTokens: Set<string>, rightTokens: Set<string>): number {
  if (left === right) return left ? 1 : 0.1;
  if (leftTokens.size === 0 || rightTokens.size === 0) return 0;
  let shared = 0;
  for (const token of leftTokens) if (rightTokens.has(token)) shared++;
  return (0.9 * shared) / Math.max(leftTokens.size, rightTokens.size);
}
