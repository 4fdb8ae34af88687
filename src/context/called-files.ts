import { type CandidateFile, issueWords } from "./choose-candidate-files.js";
import { isTestPath } from "./is-test-path.js";
import { type Definition, enclosingDefinition, type FileOutline } from "./outline-python-files.js";
import type { ResolvedFrame } from "./rank-definitions.js";

/** A file the issue names by path or word is read whole for calls when it is this short (lines). */
const CALLING_FILE_LINES = 300;
/** A called name defined in more code files than this says too little about which one runs... */
const CALLED_NAME_FILES = 3;
/** ...unless a word of the issue names the folder of some of them (`PostgreSQL`), among this many. */
const CALLED_NAME_FILES_NAMED = 8;
/**
 * Methods of Python's own strings, lists, dicts and files: `" ".join(…)` is not a call of the
 * repository's `Query.join`.
 */
const BUILTIN_METHODS = new Set(
  "join get format split rsplit strip lstrip rstrip append extend items keys values update pop add replace startswith endswith lower upper copy sort index count remove insert setdefault encode decode read write close open discard clear".split(
    " ",
  ),
);
/** Python's own functions and types, called plainly (`set(…)` is not a cache backend's `set`). */
const BUILTIN_FUNCTIONS = new Set(
  "set list dict tuple frozenset len str int float bool bytes type super isinstance issubclass hasattr getattr setattr delattr print range enumerate zip map filter sorted reversed min max sum any all iter next open repr hash id vars format round abs callable object".split(
    " ",
  ),
);
/** A method call (`.name(`) or a plain one (`name(`, not the tail of a longer word or name). */
const CALL = /(?:(\.)|(?<![\w.]))([A-Za-z_]\w*)\s*\(/g;
/** A triple-quoted string. */
const DOCSTRING = /("""|''')[\s\S]*?\1/g;
/** A function the issue calls is read for its own calls when at most this many code files define it. */
const ENTRY_FILES = 2;
/** Most files added for being called (a count). */
const CALLED_FILES = 8;

/**
 * The code the issue points at most surely: the functions its own code calls, short files it names
 * by path or module word (read whole) and the functions its traceback frames run in. A fix often
 * sits one call below it (the `dbshell` command calls the backend's `runshell`; `QuerySet.annotate`
 * calls `Query.set_group_by`; a frame's function calls the one that fails).
 */
function callingCode(
  issue: string,
  candidates: readonly CandidateFile[],
  outlines: ReadonlyMap<string, FileOutline>,
  documents: ReadonlyMap<string, string>,
  frames: readonly ResolvedFrame[],
  definers: ReadonlyMap<string, readonly string[]>,
): { path: string; text: string }[] {
  const code: { path: string; text: string }[] = [];
  // Functions the issue's code calls (`autowrap(…)`, `.annotate(…)`), when few files define them:
  // a plain call runs a function, a dotted one a method; a capitalised name is a class being made.
  for (const [, dot, name = ""] of issue.matchAll(CALL)) {
    if (/^[A-Z]/.test(name) || BUILTIN_FUNCTIONS.has(name)) continue;
    const files = (definers.get(name) ?? []).filter((file) => !isTestPath(file));
    if (files.length === 0 || files.length > ENTRY_FILES) continue;
    for (const file of files)
      for (const definition of outlines.get(file)?.definitions ?? [])
        if (definition.name === name && definition.kind === (dot ? "method" : "function"))
          code.push({ path: file, text: bodyOf(documents, file, definition) });
  }
  for (const candidate of candidates) {
    if (candidate.reason !== "mentioned" && candidate.reason !== "module") continue;
    const lines = (documents.get(candidate.path) ?? "").split("\n");
    if (lines.length <= CALLING_FILE_LINES) code.push({ path: candidate.path, text: lines.join("\n") });
  }
  for (const frame of frames) {
    const outline = outlines.get(frame.path);
    const definition = outline && enclosingDefinition(outline, frame.line);
    if (definition) code.push({ path: frame.path, text: bodyOf(documents, frame.path, definition) });
  }
  return code;
}

/** A definition's body: the lines after its header, to its end. */
function bodyOf(documents: ReadonlyMap<string, string>, path: string, definition: Definition): string {
  return (documents.get(path) ?? "").split("\n").slice(definition.headerEnd, definition.end).join("\n");
}

/** A file defining something the code the issue points at calls. */
export interface CalledFile {
  /** 2 when a word of the issue names its folder among several definers, else 1. */
  strength: number;
  /** The called names it defines. */
  names: Set<string>;
}

/**
 * The files defining what `callingCode` calls (`name(`, `.name(`, read with a regular expression: a
 * prefilter for the ranking, which parses what it keeps). Only names defined in few code files
 * count — or in several, when the issue names the folder of some — and never in the caller's own
 * file (its neighbours are offered already).
 */
export function calledFiles(
  code: readonly { path: string; text: string }[],
  definers: ReadonlyMap<string, readonly string[]>,
  issueWords: ReadonlySet<string>,
): Map<string, CalledFile> {
  const found = new Map<string, CalledFile>();
  for (const { path, text } of code) {
    // Docstrings call things in their examples; the code does not run them.
    for (const [, dot, name = ""] of text.replace(DOCSTRING, "").matchAll(CALL)) {
      // Raising an error is not where the work goes on.
      if (/(Error|Exception|Warning)$/.test(name) || (dot ? BUILTIN_METHODS : BUILTIN_FUNCTIONS).has(name))
        continue;
      const files = (definers.get(name) ?? []).filter((file) => !isTestPath(file));
      if (files.includes(path) || files.length > CALLED_NAME_FILES_NAMED) continue;
      // Of several, the ones in a folder the issue names (`PostgreSQL` among the backends) are meant.
      const named = files.filter((file) => issueWords.has(file.split("/").at(-2) ?? ""));
      const chosen = named.length > 0 ? named : files.length <= CALLED_NAME_FILES ? files : [];
      for (const file of chosen) {
        const entry = found.get(file) ?? { strength: 1, names: new Set<string>() };
        if (named.length > 0) entry.strength = 2;
        entry.names.add(name);
        found.set(file, entry);
      }
    }
  }
  return found;
}

/**
 * The candidates with the files the issue's own code calls into marked `called`, and up to
 * `CALLED_FILES` such files that were not candidates added after them (reason `called`).
 */
export function withCalledFiles(
  issue: string,
  candidates: readonly CandidateFile[],
  outlines: ReadonlyMap<string, FileOutline>,
  documents: ReadonlyMap<string, string>,
  frames: readonly ResolvedFrame[],
  definers: ReadonlyMap<string, readonly string[]>,
): CandidateFile[] {
  const called = calledFiles(
    callingCode(issue, candidates, outlines, documents, frames, definers),
    definers,
    issueWords(issue),
  );
  const known = new Set(candidates.map((candidate) => candidate.path));
  const mark = (entry: CalledFile) => ({ called: entry.strength, calledNames: [...entry.names] });
  return [
    ...candidates.map((candidate) => {
      const entry = called.get(candidate.path);
      return entry ? { ...candidate, ...mark(entry) } : candidate;
    }),
    ...[...called]
      .filter(([path]) => !known.has(path))
      .slice(0, CALLED_FILES)
      .map(([path, entry]) => ({ path, reason: "called" as const, bm25: 0, ...mark(entry) })),
  ];
}
