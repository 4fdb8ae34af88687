import type { ContextFile } from "./render-context-file.js";

/** One hunk of a patch, as lines of the file before the patch. */
export interface PatchHunk {
  /** Path of the edited file. */
  path: string;
  /** Old-file lines (1-based) the hunk removes or changes. */
  removed: number[];
  /** Old-file lines (1-based) after which the hunk inserts lines (0 = at the top). */
  insertedAfter: number[];
}

/** How much of a patch's edits a context shows; computed after the context is built. */
export interface ContextScore {
  /** Existing files the patch edits (files it creates cannot be shown and are left out). */
  editedFiles: string[];
  /** Of those, the ones the context shows in any form (whole, outline, or pieces). */
  shownFiles: string[];
  /** Hunks of the patch in existing files (a count). */
  hunks: number;
  /** Hunks whose every changed line is inside text shown verbatim (a count). */
  coveredHunks: number;
  /** Every edited file is shown. */
  allFilesShown: boolean;
  /** Every hunk is inside verbatim text. */
  allHunksCovered: boolean;
}

/** Reads a unified diff's hunks (old-file line numbers), leaving out files the patch creates. */
export function readPatchHunks(patch: string): PatchHunk[] {
  const hunks: PatchHunk[] = [];
  let path: string | undefined;
  let current: PatchHunk | undefined;
  let oldLine = 0;
  for (const line of patch.split("\n")) {
    if (line.startsWith("diff --git ")) {
      path = undefined;
      current = undefined;
    } else if (line.startsWith("--- ")) {
      const name = line.slice(4).trim();
      path = name === "/dev/null" ? undefined : name.replace(/^a\//, "");
      current = undefined;
    } else if (line.startsWith("+++ ")) {
      // Nothing: the old file's name is the one that can be shown.
    } else if (line.startsWith("@@")) {
      const start = Number(/^@@ -(\d+)/.exec(line)?.[1] ?? "0");
      oldLine = start === 0 ? 0 : start - 1;
      current = path ? { path, removed: [], insertedAfter: [] } : undefined;
      if (current) hunks.push(current);
    } else if (current) {
      if (line.startsWith("-")) current.removed.push(++oldLine);
      else if (line.startsWith("+")) {
        if (!current.insertedAfter.includes(oldLine)) current.insertedAfter.push(oldLine);
      } else if (line.startsWith(" ")) oldLine++;
    }
  }
  return hunks;
}

/**
 * Scores a context against a patch: which edited files it shows, and which hunks lie inside its
 * verbatim text (a whole file, or its ranges; an outline line does not count — a SEARCH block
 * cannot be copied from it). An insertion counts when a shown range holds or touches its place.
 */
export function scoreContext(files: readonly ContextFile[], patch: string): ContextScore {
  const hunks = readPatchHunks(patch);
  const byPath = new Map(files.map((file) => [file.path, file]));
  const editedFiles = [...new Set(hunks.map((hunk) => hunk.path))];
  const shownFiles = editedFiles.filter((path) => byPath.has(path));
  const shows = (file: ContextFile | undefined, line: number) =>
    file !== undefined &&
    (file.ranges === null || file.ranges.some(([start, end]) => start <= line && line <= end));
  const touches = (file: ContextFile | undefined, after: number) =>
    file !== undefined &&
    (file.ranges === null || file.ranges.some(([start, end]) => start - 1 <= after && after <= end));
  const coveredHunks = hunks.filter((hunk) => {
    const file = byPath.get(hunk.path);
    return (
      hunk.removed.every((line) => shows(file, line)) &&
      hunk.insertedAfter.every((after) => touches(file, after))
    );
  }).length;
  return {
    editedFiles,
    shownFiles,
    hunks: hunks.length,
    coveredHunks,
    allFilesShown: shownFiles.length === editedFiles.length,
    allHunksCovered: coveredHunks === hunks.length,
  };
}
