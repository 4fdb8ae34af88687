import { comparable, findLineMatches, splitLines } from "./match-lines.js";
import type { Edit } from "./parse-edits.js";
import { type DiffFile, type DiffHunk, parseUnifiedDiff } from "./parse-unified-diff.js";

/** A SEARCH/REPLACE edit. */
export type SearchReplaceEdit = Extract<Edit, { kind: "search-replace" }>;

/** A unified diff rewritten as SEARCH/REPLACE blocks. */
export interface DiffConversion {
  /** The blocks, in the order they must be applied; `line` is the SEARCH marker's line in `text`. */
  edits: SearchReplaceEdit[];
  /** The blocks as a model would write them (Aider style, path above each fenced block). */
  text: string;
  /** What the blocks cannot express (deletions, renames, hunks not found in the file), one line each. */
  problems: string[];
}

/** A stretch of the original file that one block replaces (0-based, end exclusive). */
interface Segment {
  /** First line of the SEARCH, including context added for uniqueness. */
  start: number;
  /** First line the diff changes or uses as context. */
  coreStart: number;
  /** End of the diff's own lines. */
  coreEnd: number;
  /** End of the SEARCH, including context added for uniqueness. */
  end: number;
  /** What replaces lines coreStart..coreEnd. */
  replacement: string[];
}

/**
 * Rewrites a unified diff as SEARCH/REPLACE blocks: each hunk becomes one block (its context and
 * removed lines as SEARCH, its context and added lines as REPLACE); a new file becomes an empty
 * SEARCH. `readFile` gives a file's current text; with it, each SEARCH grows by surrounding lines
 * until it matches exactly once in the file as the earlier blocks leave it, and a hunk that cannot
 * grow without running into the previous block is merged with it. This is the answer the oracle gives
 * when it must answer with edits, and how the real-instance check exercises `applyEdits`.
 */
export function diffToSearchReplace(
  diff: string,
  readFile: (path: string) => string | undefined,
): DiffConversion {
  const blocks: { path: string; search: string[]; replace: string[] }[] = [];
  const problems: string[] = [];
  for (const file of parseUnifiedDiff(diff)) {
    const path = file.newPath ?? file.oldPath ?? "";
    if (file.newPath === null) {
      problems.push(`${path}: the diff deletes the file; SEARCH/REPLACE blocks cannot delete files`);
      continue;
    }
    if (file.oldPath !== null && file.oldPath !== file.newPath) {
      problems.push(`${path}: the diff renames ${file.oldPath}; SEARCH/REPLACE blocks cannot rename files`);
      continue;
    }
    if (file.hunks.some((hunk) => hunk.oldMissingFinalNewline !== hunk.newMissingFinalNewline))
      problems.push(`${path}: the diff changes the final newline; blocks keep the file's`);
    if (file.oldPath === null) {
      blocks.push({ path, search: [], replace: file.hunks.flatMap((hunk) => hunk.newLines) });
      continue;
    }
    const content = readFile(path);
    if (content === undefined) {
      problems.push(`${path}: file not readable; its blocks are the bare hunks`);
      for (const hunk of file.hunks) blocks.push({ path, search: hunk.oldLines, replace: hunk.newLines });
      continue;
    }
    const original = splitLines(content).lines.map(comparable);
    for (const segment of buildSegments(file, original, problems))
      blocks.push({
        path,
        search: original.slice(segment.start, segment.end),
        replace: replacementOf(segment, original),
      });
  }
  return formatBlocks(blocks, problems);
}

function replacementOf(segment: Segment, original: string[]): string[] {
  return [
    ...original.slice(segment.start, segment.coreStart),
    ...segment.replacement,
    ...original.slice(segment.coreEnd, segment.end),
  ];
}

/** Where a hunk sits in the file: at its stated line if the lines agree there, else its unique match. */
function locateHunk(hunk: DiffHunk, original: string[]): number | undefined {
  if (hunk.oldLines.length === 0) return Math.min(hunk.oldStart, original.length);
  const stated = hunk.oldStart - 1;
  if (findLineMatches(original.slice(stated, stated + hunk.oldLines.length), hunk.oldLines).length === 1)
    return stated;
  const found = findLineMatches(original, hunk.oldLines);
  return found.length === 1 ? found[0] : undefined;
}

function merge(first: Segment, second: Segment, original: string[]): Segment {
  return {
    start: Math.min(first.start, second.start),
    coreStart: first.coreStart,
    coreEnd: second.coreEnd,
    end: Math.max(first.end, second.end),
    replacement: [
      ...first.replacement,
      ...original.slice(first.coreEnd, second.coreStart),
      ...second.replacement,
    ],
  };
}

function buildSegments(file: DiffFile, original: string[], problems: string[]): Segment[] {
  const segments: Segment[] = [];
  for (const hunk of file.hunks) {
    const at = locateHunk(hunk, original);
    if (at === undefined) {
      problems.push(`${file.newPath}: a hunk at line ${hunk.oldStart} does not match the file`);
      continue;
    }
    let segment: Segment = {
      start: at,
      coreStart: at,
      coreEnd: at + hunk.oldLines.length,
      end: at + hunk.oldLines.length,
      replacement: hunk.newLines,
    };
    let upward = true;
    for (;;) {
      const previous = segments.at(-1);
      // An earlier block that grew over this hunk must take it in: blocks may not overlap.
      if (previous && segment.start < previous.end) {
        segment = merge(segments.pop() as Segment, segment, original);
        continue;
      }
      const before = applySegments(original, segments);
      if (findLineMatches(before, original.slice(segment.start, segment.end)).length === 1) break;
      const floor = previous?.end ?? 0;
      const canGrowUp = segment.start > floor;
      const canGrowDown = segment.end < original.length;
      if (canGrowUp && (upward || !canGrowDown)) segment = { ...segment, start: segment.start - 1 };
      else if (canGrowDown) segment = { ...segment, end: segment.end + 1 };
      else if (previous) segment = merge(segments.pop() as Segment, segment, original);
      else {
        problems.push(`${file.newPath}: the block at line ${hunk.oldStart} cannot be made unique`);
        break;
      }
      upward = !upward;
    }
    segments.push(segment);
  }
  return segments;
}

/** The file as it is after the given blocks, which is what the next block is matched against. */
function applySegments(original: string[], segments: Segment[]): string[] {
  const result: string[] = [];
  let position = 0;
  for (const segment of segments) {
    for (let index = position; index < segment.start; index++) result.push(original[index] as string);
    result.push(...replacementOf(segment, original));
    position = segment.end;
  }
  for (let index = position; index < original.length; index++) result.push(original[index] as string);
  return result;
}

/** Writes the blocks as an answer text; each block's `line` points at its SEARCH marker. */
function formatBlocks(
  blocks: { path: string; search: string[]; replace: string[] }[],
  problems: string[],
): DiffConversion {
  const out: string[] = [];
  const edits: SearchReplaceEdit[] = [];
  const body = (lines: string[]) => (lines.length > 0 ? `${lines.join("\n")}\n` : "");
  for (const block of blocks) {
    out.push(block.path, "```");
    edits.push({
      kind: "search-replace",
      path: block.path,
      search: body(block.search),
      replace: body(block.replace),
      line: out.length + 1,
    });
    out.push("<<<<<<< SEARCH", ...block.search, "=======", ...block.replace, ">>>>>>> REPLACE", "```", "");
    // A line that looks like a marker (an RST heading of ======= say) would cut the block short.
    if (
      [...block.search, ...block.replace].some((line) =>
        /^\s*(?:<{5,9} ?SEARCH|={5,9}|>{5,9} ?REPLACE)\s*$/.test(line),
      )
    )
      problems.push(`${block.path}: a block contains a line that reads as a SEARCH/REPLACE marker`);
  }
  return { edits, text: out.join("\n"), problems };
}
