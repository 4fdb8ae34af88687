/** A text cut into lines without their `\n`, and whether the text ended with one. */
export interface SplitText {
  /** The lines, without terminators (a `\r` of a CRLF line stays on the line). */
  lines: string[];
  /** True when the text ended with a newline (the usual case for source files). */
  finalNewline: boolean;
}

/** Cuts text into lines; the empty text has no lines. */
export function splitLines(text: string): SplitText {
  if (text === "") return { lines: [], finalNewline: false };
  const finalNewline = text.endsWith("\n");
  const lines = (finalNewline ? text.slice(0, -1) : text).split("\n");
  return { lines, finalNewline };
}

/** Joins lines back into text. */
export function joinLines(split: SplitText): string {
  if (split.lines.length === 0) return "";
  return split.lines.join("\n") + (split.finalNewline ? "\n" : "");
}

/** A line as compared: a CRLF file's `\r` is not part of what a model sees or writes. */
export const comparable = (line: string): string => (line.endsWith("\r") ? line.slice(0, -1) : line);

/**
 * The 0-based indices where `wanted` occurs as whole consecutive lines of `lines`. Matching whole
 * lines (not substrings) keeps `x = 1` from matching inside `yx = 1`. An empty `wanted` matches
 * nowhere: it cannot name a place.
 */
export function findLineMatches(lines: readonly string[], wanted: readonly string[]): number[] {
  const found: number[] = [];
  if (wanted.length === 0) return found;
  const first = wanted[0] as string;
  for (let start = 0; start + wanted.length <= lines.length; start++) {
    if (comparable(lines[start] as string) !== first) continue;
    let same = true;
    for (let offset = 1; offset < wanted.length; offset++) {
      if (comparable(lines[start + offset] as string) !== wanted[offset]) {
        same = false;
        break;
      }
    }
    if (same) found.push(start);
  }
  return found;
}
