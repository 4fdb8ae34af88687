import type { FileState } from "./read-file-state.js";
import { type Resolution, type Resolved, resolveBlock } from "./resolve-block.js";

/** A block's SEARCH and REPLACE as lines, cut at one of its ======= lines. */
export interface BlockLines {
  /** SEARCH lines, without `\r`. */
  search: string[];
  /** REPLACE lines, without `\r`. */
  replace: string[];
  /** 1-based line of the ======= used, when the block had more than one. */
  dividerLine?: number;
}

/** A block matched in a file, with which of its readings matched. */
export type ReadingResolution = (Resolved & { reading: number }) | Extract<Resolution, { ok: false }>;

/**
 * Resolves a block against a file, trying each reading and keeping the one with the longest SEARCH
 * that matches (the first in answer order among equals). A block whose SEARCH quotes a ======= line
 * (an rst heading, a merge-conflict example) has more than one reading, and only the file tells which
 * is the divider: the readings cut above the real divider have a SEARCH that is a prefix of the real
 * one and match too, so the longest match is the real one. When none matches, the failure (and
 * did-you-mean) is the first reading's, the one Aider's parser would have used.
 */
export function resolveReadings(file: FileState, readings: BlockLines[]): ReadingResolution {
  const newline = file.crlf ? (line: string) => `${line}\r` : (line: string) => line;
  let first: Extract<Resolution, { ok: false }> | undefined;
  let best: (Resolved & { reading: number }) | undefined;
  for (const [reading, block] of readings.entries()) {
    const resolved = resolveBlock(file.lines, block.search, block.replace, newline, file.cursor);
    if (!resolved.ok) first ??= resolved;
    else if (!best || block.search.length > (readings[best.reading] as BlockLines).search.length)
      best = { ...resolved, reading };
  }
  return best ?? first ?? { ok: false, reason: "the block has no SEARCH" };
}
