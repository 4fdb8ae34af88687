import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { listTrackedFiles } from "../workspace/list-tracked-files.js";
import { applyDiff } from "./apply-diff.js";
import { confinePath } from "./confine-path.js";
import { findOtherFile } from "./find-other-file.js";
import { joinLines, splitLines } from "./match-lines.js";
import type { Edit } from "./parse-edits.js";
import { parseUnifiedDiff } from "./parse-unified-diff.js";
import { type FileState, readFileState } from "./read-file-state.js";
import type { MatchMethod, NearestLines } from "./resolve-block.js";
import { type BlockLines, type ReadingResolution, resolveReadings } from "./resolve-readings.js";

export type { MatchMethod, NearestLines } from "./resolve-block.js";

/** One block that applied, and how: what the model gets told when it did not apply as written. */
export interface AppliedBlock {
  /** The file the block changed (for a block moved to another file, that file; see `namedPath`). */
  path: string;
  /** 0-based index of the block in the edit list. */
  blockIndex: number;
  /** How the SEARCH was matched. */
  method: MatchMethod;
  /** When the SEARCH matched several places: how many, and the 1-based line of the one used. */
  places?: { count: number; used: number };
  /** The path the answer named, when the SEARCH matched nothing there and the block went to `path`. */
  namedPath?: string;
  /** 1-based answer line of the ======= that divided the block, when it had several and not the first did. */
  dividerLine?: number;
}

/** A block that did not apply. */
export interface FailedBlock {
  /** The path the answer named. */
  path: string;
  /** 0-based index of the block in the edit list. */
  blockIndex: number;
  /** Why, in words for the model. */
  reason: string;
  /** When the SEARCH matched nowhere, the file lines most like it. */
  didYouMean?: NearestLines;
}

/** What happened to a model's edits. */
export interface EditsResult {
  /** Blocks that applied, so the model need not resend them. */
  applied: AppliedBlock[];
  /** Blocks that did not, with why and (when the SEARCH matched nowhere) the nearest real lines. */
  failed: FailedBlock[];
  /** Files written (or, in a dry run, that would be), relative to the workspace, in first-touch order. */
  filesChanged: string[];
}

/** Options for applyEdits. */
export interface ApplyOptions {
  /** Resolve every block but write nothing (diff edits are checked against the files on disk). */
  dryRun?: boolean;
  /**
   * The files a block may move to when its SEARCH matches nothing in the file it names (it moves only
   * when exactly one of them matches). Default: the checkout's tracked files when `root` holds `.git`,
   * else none.
   */
  trackedFiles?: readonly string[];
}

/**
 * Applies edits in two phases. First every SEARCH/REPLACE block is resolved in memory, blocks for
 * one file in order against its evolving content (see resolveBlock for the matching ladder; a SEARCH
 * found in several places goes to the first after the file's previous block, else the first; one that
 * matches nothing in its file but exactly one other tracked file goes there). Then every file with at
 * least one resolved block is written — even when other blocks failed, because the feedback names the
 * blocks that applied so the model does not resend them. Diff edits run when reached, with `git apply`
 * (or `patch`). Empty SEARCH creates a file, fills an empty one, or appends to one with content as Aider
 * does (django__django-14752: a new method appended to the class that ends the file), unless REPLACE
 * starts with a line the file already has (a resent file would be duplicated). A file that was all CRLF
 * stays CRLF.
 */
export async function applyEdits(
  root: string,
  edits: Edit[],
  options: ApplyOptions = {},
): Promise<EditsResult> {
  const result: EditsResult = { applied: [], failed: [], filesChanged: [] };
  const files = new Map<string, FileState>();
  const otherFiles = new Map<string, FileState | null>();
  let tracked = options.trackedFiles;
  const trackedFiles = async () => {
    tracked ??= existsGit(root) ? await listTrackedFiles(root).catch(() => []) : [];
    return tracked;
  };
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
    const file = files.get(edit.path) ?? readFileState(root, edit.path);
    if (typeof file === "string") {
      fail(file);
      continue;
    }
    files.set(edit.path, file);
    const readings: BlockLines[] = (edit.readings ?? [{ ...edit, dividerLine: undefined }]).map(
      (reading) => ({
        search: splitLines(reading.search).lines.map(stripCarriageReturn),
        replace: splitLines(reading.replace).lines.map(stripCarriageReturn),
        ...(edit.readings ? { dividerLine: reading.dividerLine } : {}),
      }),
    );
    const first = readings[0] as BlockLines;
    if (first.search.every((line) => line.trim() === "")) {
      const refusal = createOrAppend(file, first.replace, edit.replace.endsWith("\n"));
      if (refusal) fail(refusal);
      else result.applied.push({ path: edit.path, blockIndex, method: file.original ? "append" : "create" });
      continue;
    }
    const missing = file.original === null && file.lines.length === 0;
    const resolved = missing ? undefined : resolveReadings(file, readings);
    if (resolved?.ok) {
      file.lines = resolved.lines;
      file.cursor = resolved.end;
      result.applied.push(describeMatch(edit.path, blockIndex, resolved, readings));
      continue;
    }
    const other = findOtherFile(root, edit.path, await trackedFiles(), readings, files, otherFiles);
    if (other.kind === "one") {
      files.set(other.path, other.file);
      other.file.lines = other.resolved.lines;
      other.file.cursor = other.resolved.end;
      result.applied.push({
        ...describeMatch(other.path, blockIndex, other.resolved, readings),
        namedPath: edit.path,
      });
      continue;
    }
    const also =
      other.kind === "several"
        ? `; it matches ${other.paths.length} other files (${other.paths.slice(0, 5).join(", ")}), so it was not moved to one`
        : "";
    if (!resolved) fail(`the file does not exist (an empty SEARCH creates it)${also}`);
    else fail(`${resolved.reason}${also}`, resolved.didYouMean);
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

/** `.git` is a folder in a clone and a file in a worktree; either way git lists the tracked files. */
const existsGit = (root: string) => existsSync(join(root, ".git"));

/**
 * An empty SEARCH: creates the file, fills an empty one, or appends REPLACE to one with content (what
 * Aider does). Refused, as a string, when REPLACE's first line is already in the file: the model is
 * then most likely resending the file, and appending would duplicate it.
 */
function createOrAppend(file: FileState, replace: string[], finalNewline: boolean): string | undefined {
  const hasContent = file.lines.some((line) => line.trim() !== "");
  if (!hasContent) {
    file.lines = replace;
    file.finalNewline = finalNewline;
    return undefined;
  }
  const opening = replace.find((line) => line.trim() !== "")?.trim();
  if (opening === undefined) return "empty SEARCH and empty REPLACE change nothing";
  if (file.lines.some((line) => stripCarriageReturn(line).trim() === opening))
    return `empty SEARCH appends to a file with content, but the file already has REPLACE's first line (${opening}); quote the lines to change`;
  const newline = file.crlf ? (line: string) => `${line}\r` : (line: string) => line;
  file.lines = [...file.lines, ...replace.map(newline)];
  file.finalNewline = finalNewline;
  file.cursor = file.lines.length;
  return undefined;
}

/** The applied entry for a resolved block: where it went when the SEARCH matched several places, which divider. */
function describeMatch(
  path: string,
  blockIndex: number,
  resolved: Extract<ReadingResolution, { ok: true }>,
  readings: BlockLines[],
): AppliedBlock {
  const dividerLine = resolved.reading > 0 ? readings[resolved.reading]?.dividerLine : undefined;
  return {
    path,
    blockIndex,
    method: resolved.method,
    ...(resolved.places > 1 ? { places: { count: resolved.places, used: resolved.at + 1 } } : {}),
    ...(dividerLine !== undefined ? { dividerLine } : {}),
  };
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
