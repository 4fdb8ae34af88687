import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { applyDiff } from "./apply-diff.js";
import { confinePath } from "./confine-path.js";
import { joinLines, splitLines } from "./match-lines.js";
import type { Edit } from "./parse-edits.js";
import { parseUnifiedDiff } from "./parse-unified-diff.js";
import { type MatchMethod, type NearestLines, resolveBlock } from "./resolve-block.js";

export type { MatchMethod, NearestLines } from "./resolve-block.js";

/** What happened to a model's edits. */
export interface EditsResult {
  /** Blocks that applied, so the model need not resend them. `blockIndex` is 0-based in the edit list. */
  applied: { path: string; blockIndex: number; method: MatchMethod }[];
  /** Blocks that did not, with why and (when the SEARCH matched nowhere) the nearest real lines. */
  failed: { path: string; blockIndex: number; reason: string; didYouMean?: NearestLines }[];
  /** Files written (or, in a dry run, that would be), relative to the workspace, in first-touch order. */
  filesChanged: string[];
}

/** Options for applyEdits. */
export interface ApplyOptions {
  /** Resolve every block but write nothing (diff edits are checked against the files on disk). */
  dryRun?: boolean;
}

interface FileState {
  absolute: string;
  /** The file's text before any block, or null when it does not exist. */
  original: string | null;
  lines: string[];
  finalNewline: boolean;
  crlf: boolean;
}

/**
 * Applies edits in two phases. First every SEARCH/REPLACE block is resolved in memory, blocks for
 * one file in order against its evolving content (see resolveBlock for the matching ladder). Then
 * every file with at least one resolved block is written — even when other blocks failed, because the
 * feedback names the blocks that applied so the model does not resend them. Diff edits run when
 * reached, with `git apply` (or `patch`). Empty SEARCH creates a file, or fills an empty one; on a
 * file with content it fails (appending would silently duplicate code when a model resends a file).
 * A file that was all CRLF stays CRLF.
 */
export async function applyEdits(
  root: string,
  edits: Edit[],
  options: ApplyOptions = {},
): Promise<EditsResult> {
  const result: EditsResult = { applied: [], failed: [], filesChanged: [] };
  const files = new Map<string, FileState>();
  for (const [blockIndex, edit] of edits.entries()) {
    const fail = (reason: string, didYouMean?: NearestLines) =>
      result.failed.push({ path: edit.path, blockIndex, reason, ...(didYouMean ? { didYouMean } : {}) });
    const paths = edit.kind === "diff" ? diffPaths(edit.diff, edit.path) : [edit.path];
    const refused = paths
      .map((path) => ({ path, confined: confinePath(root, path) }))
      .find((entry) => !entry.confined.ok);
    if (refused && !refused.confined.ok) {
      fail(paths.length > 1 ? `${refused.path}: ${refused.confined.reason}` : refused.confined.reason);
      continue;
    }
    if (edit.kind === "diff") {
      applyDiffEdit(root, edit.diff, paths, blockIndex, edit.path, files, result, options);
      continue;
    }
    const file = files.get(edit.path) ?? readState(root, edit.path);
    if (typeof file === "string") {
      fail(file);
      continue;
    }
    files.set(edit.path, file);
    const search = splitLines(edit.search).lines.map(stripCarriageReturn);
    const replace = splitLines(edit.replace).lines.map(stripCarriageReturn);
    if (search.every((line) => line.trim() === "")) {
      if (file.lines.some((line) => line.trim() !== "")) {
        fail("empty SEARCH creates a file, but this file exists and is not empty; quote the lines to change");
        continue;
      }
      file.lines = replace;
      file.finalNewline = edit.replace.endsWith("\n");
      result.applied.push({ path: edit.path, blockIndex, method: "create" });
      continue;
    }
    if (file.original === null && file.lines.length === 0) {
      fail("the file does not exist (an empty SEARCH creates it)");
      continue;
    }
    const newline = file.crlf ? (line: string) => `${line}\r` : (line: string) => line;
    const resolved = resolveBlock(file.lines, search, replace, newline);
    if (!resolved.ok) {
      fail(resolved.reason, resolved.didYouMean);
      continue;
    }
    file.lines = resolved.lines;
    result.applied.push({ path: edit.path, blockIndex, method: resolved.method });
  }
  for (const [path, file] of files) {
    const text = joinLines({ lines: file.lines, finalNewline: file.finalNewline });
    if (!result.applied.some((entry) => entry.path === path) || text === file.original) continue;
    if (!options.dryRun) {
      mkdirSync(dirname(file.absolute), { recursive: true });
      writeFileSync(file.absolute, text);
    }
    if (!result.filesChanged.includes(path)) result.filesChanged.push(path);
  }
  return result;
}

const stripCarriageReturn = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);

/** A file's state before its first block, or why it cannot be edited. */
function readState(root: string, path: string): FileState | string {
  const confined = confinePath(root, path);
  if (!confined.ok) return confined.reason;
  if (!existsSync(confined.absolute))
    return { absolute: confined.absolute, original: null, lines: [], finalNewline: true, crlf: false };
  if (!lstatSync(confined.absolute).isFile()) return "the path is not a regular file";
  const original = readFileSync(confined.absolute, "utf8");
  const { lines, finalNewline } = splitLines(original);
  const newlines = original.split("\n").length - 1;
  const crlf = newlines > 0 && original.split("\r\n").length - 1 === newlines;
  return { absolute: confined.absolute, original, lines, finalNewline, crlf };
}

/** Every path a diff touches (both sides), so confinement covers renames and multi-file diffs. */
function diffPaths(diff: string, fallback: string): string[] {
  const paths = parseUnifiedDiff(diff).flatMap((file) => [file.oldPath, file.newPath]);
  const named = [...new Set(paths.filter((path): path is string => path !== null))];
  return named.length > 0 ? named : [fallback];
}

function applyDiffEdit(
  root: string,
  diff: string,
  paths: string[],
  blockIndex: number,
  path: string,
  files: Map<string, FileState>,
  result: EditsResult,
  options: ApplyOptions,
): void {
  // Blocks resolved so far live in memory; write them first so the diff sees the same files.
  if (!options.dryRun) flushFiles(files, result);
  const outcome = applyDiff(root, diff, options.dryRun);
  if (!outcome.ok) {
    result.failed.push({ path, blockIndex, reason: outcome.reason });
    return;
  }
  result.applied.push({ path, blockIndex, method: "diff" });
  for (const touched of paths) {
    files.delete(touched);
    if (!result.filesChanged.includes(touched)) result.filesChanged.push(touched);
  }
}

function flushFiles(files: Map<string, FileState>, result: EditsResult): void {
  for (const [path, file] of files) {
    const text = joinLines({ lines: file.lines, finalNewline: file.finalNewline });
    if (text === (file.original ?? "")) continue;
    mkdirSync(dirname(file.absolute), { recursive: true });
    writeFileSync(file.absolute, text);
    if (!result.filesChanged.includes(path)) result.filesChanged.push(path);
    files.set(path, { ...file, original: text });
  }
}
