/** One direct edit from a model answer. */
export type Edit =
  | {
      kind: "search-replace";
      /** Path relative to the workspace. */
      path: string;
      /** Text to find ("" creates the file). */
      search: string;
      /** Text that replaces it. */
      replace: string;
      /** 1-based line of the block's SEARCH marker in the answer. */
      line: number;
    }
  | { kind: "diff"; path: string; diff: string; line: number };

/** Something in the answer that looked like an edit but could not be read. */
export interface ParseProblem {
  /** 1-based line in the answer. */
  line: number;
  message: string;
}

const SEARCH = /^\s*<{5,9} ?SEARCH\s*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE = /^\s*>{5,9} ?REPLACE\s*$/;
const FENCE = /^\s*(```|~~~)/;
const EXTENSIONLESS =
  /^(?:Makefile|Dockerfile|Containerfile|Procfile|Gemfile|Rakefile|Vagrantfile|LICENSE|AUTHORS|CHANGES|README|MANIFEST)$/;

/** Strips decoration models put around a path: backticks, bold, `File:`, `#`, a trailing colon. */
function cleanPath(line: string): string | undefined {
  let text = line.trim();
  text = text.replace(/^#+\s*/, "").replace(/^(?:file|path)\s*:\s*/i, "");
  text = text
    .replace(/^[*_`]+|[*_`]+$/g, "")
    .replace(/:$/, "")
    .trim();
  if (!text || /\s/.test(text) || FENCE.test(text) || !/[\w-]/.test(text)) return undefined;
  // A bare word ("Fix:", "Changes") is prose, not a path; only well-known files go without a dot or slash.
  if (!/[./]/.test(text) && !EXTENSIONLESS.test(text)) return undefined;
  return text;
}

/**
 * Reads SEARCH/REPLACE blocks (Aider style: the path on its own line before the block or before
 * its fence; the Gemini variant with the path as the fence's first line), and unified diffs.
 * Malformed blocks are reported as problems, never thrown.
 */
export function parseEdits(text: string): { edits: Edit[]; problems: ParseProblem[] } {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const edits: Edit[] = [];
  const problems: ParseProblem[] = [];
  let lastPath: string | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (!SEARCH.test(line)) {
      if (/^(?:diff --git |--- a\/|--- \/dev\/null)/.test(line)) {
        const end = findDiffEnd(lines, index);
        let last = end;
        while (last > index && (lines[last - 1] as string) === "") last--;
        const diff = lines.slice(index, last).join("\n");
        const path = /^\+\+\+ b\/(.+)$/m.exec(diff)?.[1] ?? /^diff --git a\/.* b\/(.+)$/m.exec(diff)?.[1];
        if (path) edits.push({ kind: "diff", path: path.trim(), diff: `${diff}\n`, line: index + 1 });
        index = end - 1;
      }
      continue;
    }
    const path = findPath(lines, index) ?? lastPath;
    if (!path) {
      problems.push({ line: index + 1, message: "SEARCH block without a file path on the line before it" });
      continue;
    }
    const divider = lines.findIndex((candidate, position) => position > index && DIVIDER.test(candidate));
    const nextSearch = lines.findIndex((candidate, position) => position > index && SEARCH.test(candidate));
    if (divider < 0 || (nextSearch >= 0 && nextSearch < divider)) {
      problems.push({ line: index + 1, message: `block for ${path} has no ======= divider` });
      continue;
    }
    const end = lines.findIndex((candidate, position) => position > divider && REPLACE.test(candidate));
    const nextAfter = lines.findIndex((candidate, position) => position > divider && SEARCH.test(candidate));
    if (end < 0 || (nextAfter >= 0 && nextAfter < end)) {
      problems.push({ line: index + 1, message: `block for ${path} is not closed with >>>>>>> REPLACE` });
      continue;
    }
    const join = (from: number, to: number) => (to > from ? `${lines.slice(from, to).join("\n")}\n` : "");
    edits.push({
      kind: "search-replace",
      path,
      search: join(index + 1, divider),
      replace: join(divider + 1, end),
      line: index + 1,
    });
    lastPath = path;
    index = end;
  }
  return { edits, problems };
}

/** The path for a block: the nearest non-empty line above, skipping one opening fence. */
function findPath(lines: string[], searchIndex: number): string | undefined {
  for (let index = searchIndex - 1; index >= Math.max(0, searchIndex - 3); index--) {
    const line = lines[index] as string;
    if (!line.trim()) continue;
    if (FENCE.test(line)) {
      // ```python path/inside/fence.py is rare; the path usually sits on the line above the fence.
      const inline = line.trim().replace(/^(```|~~~)\w*\s*/, "");
      if (inline) return cleanPath(inline);
      continue;
    }
    if (REPLACE.test(line) || DIVIDER.test(line)) return undefined;
    return cleanPath(line);
  }
  return undefined;
}

function findDiffEnd(lines: string[], start: number): number {
  let index = start + 1;
  while (index < lines.length) {
    const line = lines[index] as string;
    if (FENCE.test(line)) break;
    if (
      !/^(?:[ +\-@\\]|diff --git|index |--- |\+\+\+ |new file|deleted file|similarity|rename |old mode|new mode)/.test(
        line,
      ) &&
      line !== ""
    )
      break;
    index++;
  }
  return index;
}
