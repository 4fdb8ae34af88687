import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import type { Edit } from "./parse-edits.js";

export type MatchMethod = "exact" | "indentation" | "leading-blank-line" | "elision" | "create" | "diff";

export interface EditsResult {
  /** Blocks that applied (so the model need not resend them). */
  applied: { path: string; blockIndex: number; method: MatchMethod }[];
  /** Blocks that did not, with why and the nearest real lines. */
  failed: { path: string; blockIndex: number; reason: string; didYouMean?: string }[];
  /** Files written. */
  filesChanged: string[];
}

/** Resolves a model-given path inside the workspace, or says why it may not be written. */
export function confinePath(
  root: string,
  path: string,
): { ok: true; absolute: string } | { ok: false; reason: string } {
  if (isAbsolute(path)) return { ok: false, reason: "absolute paths are not allowed" };
  const normalized = normalize(path);
  if (normalized.startsWith("..") || normalized.split(sep).includes(".."))
    return { ok: false, reason: "path leaves the workspace" };
  if (normalized.split(sep)[0] === ".git") return { ok: false, reason: "writing into .git is not allowed" };
  // No symlink anywhere on the way: a link could point outside the workspace.
  let current = root;
  for (const part of normalized.split(sep)) {
    current = join(current, part);
    if (existsSync(current) && lstatSync(current).isSymbolicLink())
      return { ok: false, reason: `${part} is a symbolic link` };
  }
  const realRoot = realpathSync(root);
  return { ok: true, absolute: join(realRoot, normalized) };
}

/**
 * Applies edits in two phases: every block is resolved against the evolving in-memory contents of
 * its file (exact match, then a uniform indentation offset, then a spurious leading blank line, then
 * `...` elisions), then the files whose blocks resolved are written. Blocks that fail are reported
 * with the nearest real lines; the ones that applied are written and named.
 */
export function applyEdits(root: string, edits: Edit[]): Promise<EditsResult> {
  const result: EditsResult = { applied: [], failed: [], filesChanged: [] };
  const contents = new Map<
    string,
    { absolute: string; text: string; original: string | null; crlf: boolean }
  >();
  for (const [blockIndex, edit] of edits.entries()) {
    const confined = confinePath(root, edit.path);
    if (!confined.ok) {
      result.failed.push({ path: edit.path, blockIndex, reason: confined.reason });
      continue;
    }
    if (edit.kind === "diff") {
      const outcome = applyDiff(root, edit.diff);
      if (outcome.ok) {
        result.applied.push({ path: edit.path, blockIndex, method: "diff" });
        result.filesChanged.push(edit.path);
      } else result.failed.push({ path: edit.path, blockIndex, reason: outcome.reason });
      continue;
    }
    let file = contents.get(edit.path);
    if (!file) {
      const exists = existsSync(confined.absolute);
      const original = exists ? readFileSync(confined.absolute, "utf8") : null;
      file = {
        absolute: confined.absolute,
        original,
        crlf: original?.includes("\r\n") ?? false,
        text: original?.replace(/\r\n/g, "\n") ?? "",
      };
      contents.set(edit.path, file);
    }
    if (!edit.search.trim()) {
      if (file.text.trim() && file.original !== null) {
        result.failed.push({
          path: edit.path,
          blockIndex,
          reason: "empty SEARCH creates a file, but this file exists and is not empty",
        });
        continue;
      }
      file.text = edit.replace;
      result.applied.push({ path: edit.path, blockIndex, method: "create" });
      continue;
    }
    if (file.original === null && !file.text) {
      result.failed.push({
        path: edit.path,
        blockIndex,
        reason: "file does not exist (use an empty SEARCH to create it)",
      });
      continue;
    }
    const resolved = resolveBlock(file.text, edit.search, edit.replace);
    if (resolved.ok) {
      file.text = resolved.text;
      result.applied.push({ path: edit.path, blockIndex, method: resolved.method });
    } else {
      result.failed.push({
        path: edit.path,
        blockIndex,
        reason: resolved.reason,
        didYouMean: resolved.didYouMean,
      });
    }
  }
  for (const [path, file] of contents) {
    const touched = result.applied.some((applied) => applied.path === path);
    if (!touched || file.text === (file.original ?? "").replace(/\r\n/g, "\n")) continue;
    mkdirSync(dirname(file.absolute), { recursive: true });
    writeFileSync(file.absolute, file.crlf ? file.text.replace(/\n/g, "\r\n") : file.text);
    result.filesChanged.push(path);
  }
  return Promise.resolve(result);
}

type Resolution =
  | { ok: true; text: string; method: MatchMethod }
  | { ok: false; reason: string; didYouMean?: string };

function occurrences(haystack: string, needle: string): number[] {
  const found: number[] = [];
  for (let index = haystack.indexOf(needle); index >= 0; index = haystack.indexOf(needle, index + 1))
    found.push(index);
  return found;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

function resolveBlock(text: string, search: string, replace: string): Resolution {
  const tryExact = (find: string, put: string, method: MatchMethod): Resolution | undefined => {
    const found = occurrences(text, find);
    if (found.length === 1) {
      const at = found[0] as number;
      return { ok: true, text: text.slice(0, at) + put + text.slice(at + find.length), method };
    }
    if (found.length > 1) {
      return {
        ok: false,
        reason: `SEARCH matches ${found.length} places (lines ${found.map((at) => lineOf(text, at)).join(", ")}); add lines to make it unique`,
      };
    }
    return undefined;
  };
  const exact = tryExact(search, replace, "exact");
  if (exact) return exact;
  const shifted = resolveIndentation(text, search, replace);
  if (shifted) return shifted;
  if (/^\s*\n/.test(search)) {
    const trimmed = tryExact(
      search.replace(/^\s*\n/, ""),
      replace.replace(/^\s*\n/, ""),
      "leading-blank-line",
    );
    if (trimmed) return trimmed;
  }
  if (/^\s*\.\.\.\s*$/m.test(search)) {
    const elided = resolveElision(text, search, replace);
    if (elided) return elided;
  }
  return { ok: false, reason: "SEARCH does not match the file", didYouMean: nearestLines(text, search) };
}

/** The SEARCH indented uniformly more or less than the file: apply the same shift to REPLACE. */
function resolveIndentation(text: string, search: string, replace: string): Resolution | undefined {
  const searchLines = search.replace(/\n$/, "").split("\n");
  const fileLines = text.split("\n");
  const candidates: number[] = [];
  let delta = 0;
  for (let start = 0; start + searchLines.length <= fileLines.length; start++) {
    let offset: number | undefined;
    let matches = true;
    for (const [index, line] of searchLines.entries()) {
      const fileLine = fileLines[start + index] as string;
      if (!line.trim() && !fileLine.trim()) continue;
      if (line.trim() !== fileLine.trim()) {
        matches = false;
        break;
      }
      const shift = fileLine.length - fileLine.trimStart().length - (line.length - line.trimStart().length);
      if (offset === undefined) offset = shift;
      else if (offset !== shift) {
        matches = false;
        break;
      }
    }
    if (matches && offset !== undefined) {
      candidates.push(start);
      delta = offset;
    }
  }
  if (candidates.length !== 1) return undefined;
  const start = candidates[0] as number;
  const shiftLine = (line: string) => {
    if (!line.trim()) return line;
    return delta >= 0
      ? " ".repeat(delta) + line
      : line.slice(Math.min(-delta, line.length - line.trimStart().length));
  };
  const replacement = replace.replace(/\n$/, "").split("\n").map(shiftLine);
  const next = [
    ...fileLines.slice(0, start),
    ...(replace ? replacement : []),
    ...fileLines.slice(start + searchLines.length),
  ];
  return { ok: true, text: next.join("\n"), method: "indentation" };
}

/** `...` lines stand for unchanged text: match the pieces in order and keep what lies between them. */
function resolveElision(text: string, search: string, replace: string): Resolution | undefined {
  const split = (block: string) => block.split(/^\s*\.\.\.\s*\n/m);
  const searchPieces = split(search);
  const replacePieces = split(replace);
  if (searchPieces.length !== replacePieces.length) return undefined;
  let result = text;
  let from = 0;
  for (const [index, piece] of searchPieces.entries()) {
    if (!piece) continue;
    const at = result.indexOf(piece, from);
    if (at < 0) return undefined;
    const put = replacePieces[index] as string;
    result = result.slice(0, at) + put + result.slice(at + piece.length);
    from = at + put.length;
  }
  return { ok: true, text: result, method: "elision" };
}

/** The window of the file most like the SEARCH text, with line numbers, for "did you mean". */
export function nearestLines(text: string, search: string): string | undefined {
  const wanted = search.replace(/\n$/, "").split("\n");
  const lines = text.split("\n");
  if (lines.length === 0 || wanted.length === 0) return undefined;
  let best = { score: -1, start: 0 };
  for (let start = 0; start < lines.length; start++) {
    let score = 0;
    for (const [index, line] of wanted.entries())
      score += similarity(line.trim(), (lines[start + index] ?? "").trim());
    if (score > best.score) best = { score, start };
  }
  if (best.score <= 0) return undefined;
  const window = lines.slice(best.start, best.start + wanted.length);
  return window.map((line, index) => `${String(best.start + index + 1).padStart(5)}| ${line}`).join("\n");
}

function similarity(left: string, right: string): number {
  if (left === right) return left ? 1 : 0.2;
  const leftTokens = new Set(left.split(/\W+/).filter(Boolean));
  const rightTokens = new Set(right.split(/\W+/).filter(Boolean));
  if (leftTokens.size === 0 || rightTokens.size === 0) return 0;
  let shared = 0;
  for (const token of leftTokens) if (rightTokens.has(token)) shared++;
  return shared / Math.max(leftTokens.size, rightTokens.size);
}

function applyDiff(root: string, diff: string): { ok: true } | { ok: false; reason: string } {
  const isGit = existsSync(join(root, ".git"));
  const attempt = isGit
    ? spawnSync("git", ["apply", "--recount", "-"], { cwd: root, input: diff, encoding: "utf8" })
    : spawnSync("patch", ["--batch", "--forward", "-p1"], { cwd: root, input: diff, encoding: "utf8" });
  if (attempt.status === 0) return { ok: true };
  if (isGit) {
    const fuzzy = spawnSync("patch", ["--batch", "--forward", "--fuzz=3", "-p1"], {
      cwd: root,
      input: diff,
      encoding: "utf8",
    });
    if (fuzzy.status === 0) return { ok: true };
  }
  return {
    ok: false,
    reason: `diff does not apply: ${(attempt.stderr || attempt.stdout).trim().split("\n")[0]}`,
  };
}
