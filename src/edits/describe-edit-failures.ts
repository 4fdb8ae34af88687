import type { EditsResult } from "./apply-edits.js";

/** The text a model gets about its edits: what applied (do not resend) and what failed, with nearest lines. */
export function describeEditResult(result: EditsResult): string {
  const lines: string[] = [];
  if (result.applied.length > 0) {
    lines.push(
      `Applied ${result.applied.length} block(s): ${result.applied.map((block) => `#${block.blockIndex + 1} ${block.path}`).join(", ")}.`,
    );
  }
  for (const failure of result.failed) {
    lines.push(`Block #${failure.blockIndex + 1} for ${failure.path} failed: ${failure.reason}.`);
    if (failure.didYouMean) lines.push(`Did you mean these lines of ${failure.path}?\n${failure.didYouMean}`);
  }
  return lines.join("\n");
}
