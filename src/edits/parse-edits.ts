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
      /**
       * Every way to cut the block when it holds more than one ======= line (a SEARCH may quote one),
       * in answer order; the first is `search`/`replace`. applyEdits uses the first whose SEARCH matches.
       */
      readings?: BlockReading[];
    }
  | { kind: "diff"; path: string; diff: string; line: number };

/** One way to cut a block into SEARCH and REPLACE: at one of its ======= lines. */
export interface BlockReading {
  /** Text to find. */
  search: string;
  /** Text that replaces it. */
  replace: string;
  /** 1-based line of this reading's ======= divider in the answer. */
  dividerLine: number;
}

/** Something in the answer that looked like an edit but could not be read. */
export interface ParseProblem {
  /** 1-based line in the answer. */
  line: number;
  message: string;
}

const SEARCH = /^\s*<{5,9} ?SEARCH\s*$/;
// Exactly seven `=` at the start of the line, as Aider's own parser wants: the old looser
// /^\s*={5,9}\s*$/ took a docstring's indented `========` underline (sympy's "Examples" headings,
// e.g. sympy/functions/elementary/hyperbolic.py) for the divider and cut the SEARCH in two.
const DIVIDER = /^={7}[ \t]*$/;
const REPLACE = /^\s*>{5,9} ?REPLACE\s*$/;
const FENCE = /^\s*(```|~~~)/;
const EXTENSIONLESS =
  /^(?:Makefile|Dockerfile|Containerfile|Procfile|Gemfile|Rakefile|Vagrantfile|LICENSE|AUTHORS|CHANGES|README|MANIFEST)$/;

const isDivider = (line: string) => DIVIDER.test(line);

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
    const end = lines.findIndex((candidate, position) => position > index && REPLACE.test(candidate));
    const nextSearch = lines.findIndex((candidate, position) => position > index && SEARCH.test(candidate));
    if (end < 0 || (nextSearch >= 0 && nextSearch < end)) {
      const divided = lines.slice(index + 1, nextSearch < 0 ? undefined : nextSearch).some(isDivider);
      problems.push({
        line: index + 1,
        message: divided
          ? `block for ${path} is not closed with >>>>>>> REPLACE`
          : `block for ${path} has no ======= divider`,
      });
      continue;
    }
    const dividers: number[] = [];
    for (let position = index + 1; position < end; position++)
      if (isDivider(lines[position] as string)) dividers.push(position);
    if (dividers.length === 0) {
      problems.push({ line: index + 1, message: `block for ${path} has no ======= divider` });
      continue;
    }
    const join = (from: number, to: number) => (to > from ? `${lines.slice(from, to).join("\n")}\n` : "");
    const readings = dividers.map((divider) => ({
      search: join(index + 1, divider),
      replace: join(divider + 1, end),
      dividerLine: divider + 1,
    }));
    const [first] = readings as [BlockReading];
    edits.push({
      kind: "search-replace",
      path,
      search: first.search,
      replace: first.replace,
      line: index + 1,
      ...(readings.length > 1 ? { readings } : {}),
    });
    lastPath = path;
    index = end;
  }
  return { edits, problems };
}

/**
 * The path for a block, as models place it: on the nearest non-blank line above SEARCH (a bare path
 * above an unfenced block, the Gemini variant's first line inside the fence, or Agentless's `### path`
 * inside the fence); else in the fence's info string (```python path.py); else on the line before
 * the fence or up to two lines above it (Aider puts it directly above; a blank line may sit between).
 */
function findPath(lines: string[], searchIndex: number): string | undefined {
  const above = nearestNonBlank(lines, searchIndex, 2);
  if (above === undefined) return undefined;
  const line = lines[above] as string;
  if (REPLACE.test(line) || isDivider(line)) return undefined;
  if (!FENCE.test(line)) return cleanPath(line);
  const info = line
    .trim()
    .replace(/^(```|~~~)`*~*/, "")
    .trim();
  const words = info.split(/\s+/).filter(Boolean);
  // A single word is the language unless it looks like a path (```sympy/core/add.py).
  const inline = words.length > 1 ? cleanPath(words.slice(1).join(" ")) : words[0] && cleanPath(words[0]);
  if (inline) return inline;
  for (let index = above - 1; index >= Math.max(0, above - 2); index--) {
    const candidate = lines[index] as string;
    if (FENCE.test(candidate) || REPLACE.test(candidate) || isDivider(candidate)) return undefined;
    const path = candidate.trim() ? cleanPath(candidate) : undefined;
    if (path) return path;
  }
  return undefined;
}

/** The index of the nearest non-blank line above `index`, looking at most `reach` lines up. */
function nearestNonBlank(lines: string[], index: number, reach: number): number | undefined {
  for (let position = index - 1; position >= Math.max(0, index - reach); position--)
    if ((lines[position] as string).trim()) return position;
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
