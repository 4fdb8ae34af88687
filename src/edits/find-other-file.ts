import { statSync } from "node:fs";
import { join } from "node:path";
import { comparable } from "./match-lines.js";
import { type FileState, readFileState } from "./read-file-state.js";
import { type BlockLines, type ReadingResolution, resolveReadings } from "./resolve-readings.js";

/** Where a block that matched nothing in its named file matches instead. */
export type OtherFileMatch =
  | { kind: "one"; path: string; file: FileState; resolved: Extract<ReadingResolution, { ok: true }> }
  | { kind: "several"; paths: string[] }
  | { kind: "none" };

/** Files larger than this are not searched: source files are far smaller, and each is read whole. */
const LARGEST_FILE = 2_000_000;

/**
 * Looks for the block's SEARCH in the other tracked files. Models name a sibling file now and then
 * (the module they read instead of the one that defines the code); Aider then tries the other files in
 * its chat. Only a match in exactly one file is used: with two, nothing says which the model meant.
 * Only whole-line matches count (exact, shifted indentation, a dropped leading blank line): a `...`
 * elision is too loose to pick a file by. `files` holds the files earlier blocks changed, as they
 * left them; `cache` keeps the other files read for earlier failed blocks of the same answer (null:
 * not searchable), so an answer with many failed blocks reads the checkout once.
 */
export function findOtherFile(
  root: string,
  named: string,
  tracked: readonly string[],
  readings: BlockLines[],
  files: Map<string, FileState>,
  cache: Map<string, FileState | null>,
): OtherFileMatch {
  // One non-blank SEARCH line, the longest, must occur in a file before the file is matched block-wise.
  const key = readings
    .flatMap((block) => block.search)
    .map((line) => line.trim())
    .reduce((longest, line) => (line.length > longest.length ? line : longest), "");
  if (key === "") return { kind: "none" };
  const found: { path: string; file: FileState; resolved: Extract<ReadingResolution, { ok: true }> }[] = [];
  for (const path of tracked) {
    if (path === named) continue;
    const file = files.get(path) ?? cached(root, path, cache);
    if (!file) continue;
    if (!file.lines.some((line) => comparable(line).includes(key))) continue;
    const resolved = resolveReadings(file, readings);
    if (resolved.ok && resolved.method !== "elision") found.push({ path, file, resolved });
  }
  if (found.length === 1) return { kind: "one", ...(found[0] as (typeof found)[number]) };
  if (found.length > 1) return { kind: "several", paths: found.map((entry) => entry.path) };
  return { kind: "none" };
}

function cached(root: string, path: string, cache: Map<string, FileState | null>): FileState | undefined {
  if (!cache.has(path)) {
    const size = statSync(join(root, path), { throwIfNoEntry: false })?.size;
    const read = size === undefined || size > LARGEST_FILE ? undefined : readFileState(root, path);
    cache.set(path, read === undefined || typeof read === "string" || read.original === null ? null : read);
  }
  return cache.get(path) ?? undefined;
}
