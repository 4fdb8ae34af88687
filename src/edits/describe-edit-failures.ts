import type { EditsResult } from "./apply-edits.js";

/**
 * The text a model gets about its edits: which blocks applied (already in the files — do not resend
 * them), which failed and why, and for a SEARCH that matched nowhere the nearest real lines, verbatim
 * so they can be copied into a corrected SEARCH.
 */
export function describeEditResult(result: EditsResult): string {
  const lines: string[] = [];
  if (result.applied.length > 0) {
    const names = result.applied.map((block) => `#${block.blockIndex + 1} ${block.path}`).join(", ");
    lines.push(`Applied ${result.applied.length} block(s), already in the files (do not resend): ${names}.`);
  }
  for (const failure of result.failed) {
    lines.push(`Block #${failure.blockIndex + 1} for ${failure.path} failed: ${failure.reason}.`);
    const near = failure.didYouMean;
    if (near) {
      lines.push(
        `Did you mean ${failure.path} lines ${near.firstLine}-${near.lastLine}?`,
        "```",
        near.text,
        "```",
      );
    }
  }
  if (result.failed.length > 0)
    lines.push("Resend only the failed blocks, with SEARCH copied exactly from the file.");
  return lines.join("\n");
}
