import { renderContextFile } from "../context/render-context-file.js";
import type { Context } from "./build-context.js";

/** The instructions every attempt starts from: answer with SEARCH/REPLACE edits only. */
export const SYSTEM_PROMPT = `You are an expert software engineer fixing a reported issue in a Python repository.
Answer with direct edits in SEARCH/REPLACE blocks. For each change write the file path on its own line,
then a fenced block:

path/to/file.py
\`\`\`python
<<<<<<< SEARCH
lines copied exactly from the current file, enough to be unique
=======
the lines that replace them
>>>>>>> REPLACE
\`\`\`

Rules: SEARCH must match the file exactly, including indentation; keep blocks small; an empty SEARCH
creates a new file. Change only source code needed to fix the issue; do not edit tests. Briefly explain
the cause first, then give the blocks.`;

/** Added to the system prompt when the read-only tools are offered. */
export const TOOLS_PROMPT = `You may call the read-only tools view_file, search_code and list_folder to read more of the
repository before you answer (the files above are a selection). Use them sparingly; when you know the fix,
answer with the explanation and the SEARCH/REPLACE blocks, without further tool calls.`;

/** The first user message: the issue and the located code, each piece with its line numbers. */
export function renderTaskMessage(context: Context): string {
  const files = context.files.map(renderContextFile).join("\n\n");
  return [
    "<issue>",
    context.issue.trim(),
    "</issue>",
    "",
    context.files.length > 0
      ? "Code from the repository that is likely relevant (current contents; a large file is shown as an outline with line numbers plus the full text of chosen line ranges — copy SEARCH lines only from full text, never from an outline):"
      : "No files could be located automatically; name the files you change by their repository paths.",
    "",
    files,
    "",
    "Fix the issue with SEARCH/REPLACE blocks.",
  ].join("\n");
}

/** The message that starts a retry: what went wrong last time, and a fresh start from base. */
export function renderFeedbackMessage(
  feedback: string,
  attemptNumber: number,
  carried: "kept" | "dropped" | "none",
): string {
  const restart =
    carried === "kept"
      ? "The blocks that applied are kept; send only corrected versions of the blocks that failed."
      : carried === "dropped"
        ? "The blocks that applied last time could not be re-applied and were dropped: the repository is back in its original state, so send the complete set of edits again, the ones that applied included."
        : "The repository has been reset to its original state, so send the complete set of edits again.";
  return [`Attempt ${attemptNumber - 1} did not fix the issue. ${restart}`, "", feedback.trim()].join("\n");
}
