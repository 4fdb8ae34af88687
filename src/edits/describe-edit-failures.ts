import type { AppliedBlock, EditsResult } from "./apply-edits.js";

/**
 * How a block applied when not exactly as written, in words ("" for an exact match, a new file or a
 * diff): the model must know when its SEARCH was read loosely, moved, or placed by choice, since the
 * file may not be what it pictured.
 */
export function describeAppliedBlock(block: AppliedBlock): string {
  const notes: string[] = [];
  if (block.method === "indentation") notes.push("matched with its indentation shifted uniformly");
  if (block.method === "leading-blank-line") notes.push("matched without SEARCH's leading blank line");
  if (block.method === "elision") notes.push("`...` lines kept the lines they stand for");
  if (block.method === "append") notes.push("empty SEARCH: REPLACE appended at the end of the file");
  if (block.places) notes.push(`matched ${block.places.count} places, used line ${block.places.used}`);
  if (block.namedPath) notes.push(`applied to ${block.path} instead of ${block.namedPath}`);
  if (block.dividerLine !== undefined)
    notes.push(`divided at the ======= on answer line ${block.dividerLine}, the SEARCH that matches`);
  return notes.join("; ");
}

/**
 * The text a model gets about its edits: which blocks applied (already in the files — do not resend
 * them) and how, when not exactly as written; which failed and why, and for a SEARCH that matched
 * nowhere the nearest real lines, verbatim so they can be copied into a corrected SEARCH.
 */
export function describeEditResult(result: EditsResult): string {
  const lines: string[] = [];
  if (result.applied.length > 0) {
    const names = result.applied
      .map((block) => {
        const how = describeAppliedBlock(block);
        return `#${block.blockIndex + 1} ${block.path}${how ? ` (${how})` : ""}`;
      })
      .join(", ");
    lines.push(`Applied ${result.applied.length} block(s), already in the files (do not resend): ${names}.`);
  }
  for (const failure of result.failed) {
    lines.push(`Block #${failure.blockIndex + 1} for ${failure.path} failed: ${failure.reason}.`);
    const near = failure.didYouMean;
    // The lines around the match too: a SEARCH often fails on the line before or after the one the
    // model pictured, and the header's numbers place it in the file shown on attempt 1.
    if (near) {
      const { around } = near;
      lines.push(
        `Did you mean ${failure.path} lines ${near.firstLine}-${near.lastLine}? The file's real lines ${around.firstLine}-${around.lastLine}, verbatim:`,
        "```",
        around.text,
        "```",
      );
    }
  }
  if (result.failed.length > 0)
    lines.push("Resend only the failed blocks, with SEARCH copied exactly from the file.");
  return lines.join("\n");
}
