import { constants } from "node:fs";
import { type FileHandle, open, readFile, realpath } from "node:fs/promises";
import { join, relative as relativePath, sep } from "node:path";
import type { ToolSpec } from "../model/model.js";
import { makeLineMatcher } from "./line-matcher.js";

// The model layer owns the shape providers send; this module only fills it.
export type { ToolSpec } from "../model/model.js";

/** What a tool call may see: the checkout's folder and its tracked files (repository-relative, '/'-separated). */
type ToolContext = { dir: string; files: readonly string[] };

type ArgumentType = "string" | "integer" | "boolean";
type Properties = Record<string, { type: ArgumentType; description: string; minimum?: number }>;
type Values = Record<string, string | number | boolean | undefined>;

interface Tool {
  spec: ToolSpec;
  properties: Properties;
  required: string[];
  run: (values: Values, context: ToolContext) => Promise<string>;
}

const VIEW_DEFAULT_LINES = 200;
const VIEW_MAX_LINES = 400;
const VIEW_MAX_CHARACTERS = 40_000;
const SEARCH_DEFAULT_RESULTS = 50;
const SEARCH_MAX_RESULTS = 200;
const SEARCH_MAX_FILE_BYTES = 1024 * 1024;
const SEARCH_LINE_CHARACTERS = 200;
/** Files read at once by search_code: bounded so a 6.6k-file checkout does not open them all together. */
const SEARCH_BATCH_FILES = 32;
/** git's own test for binary content: a NUL byte among the first 8000 bytes. */
const BINARY_PROBE_BYTES = 8000;
const SUGGESTIONS = 3;
const PATH_ERROR = "error: paths are relative to the repository root";
const CUT_NOTE = "[... cut: ask for a smaller range]";

function defineTool(
  name: string,
  description: string,
  properties: Properties,
  required: string[],
  run: Tool["run"],
): Tool {
  const parameters = { type: "object", properties, required, additionalProperties: false };
  return { spec: { name, description, parameters }, properties, required, run };
}

const TOOLS: Tool[] = [
  defineTool(
    "view_file",
    `Show lines of a tracked file, each prefixed with its line number. Without a range it shows ${VIEW_DEFAULT_LINES} lines from start_line; at most ${VIEW_MAX_LINES} lines and ${VIEW_MAX_CHARACTERS} characters per call.`,
    {
      path: {
        type: "string",
        description: "File path relative to the repository root, e.g. src/pkg/mod.py.",
      },
      start_line: { type: "integer", minimum: 1, description: "First line to show, 1-based (default 1)." },
      end_line: {
        type: "integer",
        minimum: 1,
        description: `Last line to show, inclusive (default start_line + ${VIEW_DEFAULT_LINES - 1}).`,
      },
    },
    ["path"],
    viewFile,
  ),
  defineTool(
    "search_code",
    `Search the tracked text files line by line for a literal, case-sensitive string (or a JavaScript regular expression with regex=true). Returns "path:line: text" lines, at most max_results (default ${SEARCH_DEFAULT_RESULTS}, at most ${SEARCH_MAX_RESULTS}). Binary files and files over 1 MB are skipped.`,
    {
      pattern: { type: "string", description: "Text to find (a regular expression when regex is true)." },
      path: {
        type: "string",
        description: "Only search this folder or file (relative to the repository root).",
      },
      regex: {
        type: "boolean",
        description: "Treat pattern as a JavaScript regular expression (default false).",
      },
      max_results: {
        type: "integer",
        minimum: 1,
        description: `Most matching lines to return (default ${SEARCH_DEFAULT_RESULTS}, at most ${SEARCH_MAX_RESULTS}).`,
      },
    },
    ["pattern"],
    searchCode,
  ),
  defineTool(
    "list_folder",
    "List a folder's direct children among the tracked files: sub-folders first (with the number of files under each), then files.",
    {
      path: { type: "string", description: 'Folder relative to the repository root (default "", the root).' },
    },
    [],
    listFolder,
  ),
];

/** The three tools' specs, in this order: view_file, search_code, list_folder. */
export const READ_ONLY_TOOLS: ToolSpec[] = TOOLS.map((tool) => tool.spec);

/**
 * Runs one tool call against the checkout at `context.dir` and returns the text for the model.
 * Bad input (unknown tool, bad arguments, a path outside the tracked files) gives a one-line
 * "error: ..." text instead of throwing. Only `context.files` can be read, searched or listed.
 */
export async function runReadOnlyTool(
  call: { name: string; arguments: unknown },
  context: { dir: string; files: readonly string[] },
): Promise<string> {
  const tool = TOOLS.find((candidate) => candidate.spec.name === call.name);
  if (!tool) {
    return `error: unknown tool ${call.name} (tools: ${TOOLS.map((known) => known.spec.name).join(", ")})`;
  }
  const values = readArguments(tool, call.arguments);
  if (typeof values === "string") return `error: ${tool.spec.name}: ${values}`;
  return tool.run(values, context);
}

/** Checks raw arguments against the tool's properties; returns what is wrong as a string. */
function readArguments(tool: Tool, raw: unknown): Values | string {
  // A string here is JSON the provider could not parse (see ToolCall.arguments).
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return `arguments must be a JSON object, got ${describeValue(raw)}`;
  }
  const values: Values = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(tool.properties, key)) {
      return `unknown argument ${key} (arguments: ${Object.keys(tool.properties).join(", ")})`;
    }
    // Providers with strict schemas send null for an optional argument left out.
    if (value === null || value === undefined) continue;
    const property = tool.properties[key] as Properties[string];
    if (!hasType(value, property.type)) {
      const article = property.type === "integer" ? "an" : "a";
      return `${key} must be ${article} ${property.type}, got ${describeValue(value)}`;
    }
    if (property.minimum !== undefined && (value as number) < property.minimum) {
      return `${key} must be at least ${property.minimum}, got ${value}`;
    }
    values[key] = value as Values[string];
  }
  const missing = tool.required.filter((key) => values[key] === undefined);
  return missing.length > 0 ? `missing required argument ${missing.join(", ")}` : values;
}

function hasType(value: unknown, type: ArgumentType): boolean {
  return type === "integer" ? Number.isInteger(value) : typeof value === type;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number") return `the number ${value}`;
  return `a ${typeof value}`;
}

/** Repository-relative form of a path the model wrote; undefined when it is absolute or climbs with `..`. */
function normalizePath(raw: string): string | undefined {
  const slashed = raw.replaceAll("\\", "/");
  if (slashed.startsWith("/") || /^[a-zA-Z]:/.test(slashed)) return undefined;
  const segments = slashed.split("/").filter((segment) => segment !== "" && segment !== ".");
  return segments.includes("..") ? undefined : segments.join("/");
}

async function viewFile(values: Values, context: ToolContext): Promise<string> {
  const path = normalizePath(values.path as string);
  if (path === undefined) return PATH_ERROR;
  if (!context.files.includes(path)) return missingFileError(path, context.files);
  const start = (values.start_line as number | undefined) ?? 1;
  const end = values.end_line as number | undefined;
  if (end !== undefined && end < start)
    return `error: view_file: end_line ${end} is before start_line ${start}`;
  const content = await readForView(context, path);
  if (typeof content === "string") return `error: ${content}`;
  if (isBinary(content)) return `error: ${path} is binary`;
  const lines = splitLines(content.toString("utf8"));
  if (lines.length === 0) return `${path} (empty file)`;
  if (start > lines.length)
    return `error: start_line ${start} is past the end of ${path} (${lines.length} lines)`;
  return formatLines(path, lines, start, end ?? start + VIEW_DEFAULT_LINES - 1);
}

function missingFileError(path: string, files: readonly string[]): string {
  if (path === "" || files.some((file) => file.startsWith(`${path}/`))) {
    return `error: ${path || "."} is a folder; use list_folder`;
  }
  return `error: no tracked file ${path}${suggest(path, files)}`;
}

/**
 * Reads a tracked file, following a tracked symbolic link only to another tracked file:
 * a link may point outside the checkout (or at .git), which the model must not see.
 */
async function readForView(context: ToolContext, path: string): Promise<Buffer | string> {
  try {
    const [root, target] = await Promise.all([realpath(context.dir), realpath(join(context.dir, path))]);
    // Outside the checkout this starts with "../", which no tracked file does.
    const relative = relativePath(root, target).split(sep).join("/");
    if (!context.files.includes(relative)) return `${path} links outside the tracked files`;
    return await readFile(target);
  } catch (error) {
    return `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

/** Numbered lines `start..end` (capped at 400 lines and 40,000 characters) under a header line. */
function formatLines(path: string, lines: string[], start: number, end: number): string {
  const wanted = Math.min(end, lines.length);
  const last = Math.min(wanted, start + VIEW_MAX_LINES - 1);
  const width = Math.max(4, String(last).length);
  const body: string[] = [];
  let characters = 0;
  let note =
    last < wanted
      ? `[... at most ${VIEW_MAX_LINES} lines per call: continue with start_line ${last + 1}]`
      : "";
  for (let number = start; number <= last; number++) {
    const line = `${String(number).padStart(width)}\t${lines[number - 1]}`;
    if (characters + line.length + 1 > VIEW_MAX_CHARACTERS) {
      // A single line over the limit (minified code) is shown cut rather than not at all.
      if (body.length === 0) body.push(line.slice(0, VIEW_MAX_CHARACTERS));
      note = CUT_NOTE;
      break;
    }
    body.push(line);
    characters += line.length + 1;
  }
  const header = `${path} (lines ${start}-${start + body.length - 1} of ${lines.length})`;
  return [header, ...body, ...(note ? [note] : [])].join("\n");
}

async function searchCode(values: Values, context: ToolContext): Promise<string> {
  const pattern = values.pattern as string;
  if (pattern === "") return "error: search_code: pattern is empty";
  const matches = makeLineMatcher(pattern, values.regex === true);
  if (typeof matches === "string") return matches;
  const scope = values.path === undefined ? "" : normalizePath(values.path as string);
  if (scope === undefined) return PATH_ERROR;
  const targets = context.files.filter(
    (file) => scope === "" || file === scope || file.startsWith(`${scope}/`),
  );
  if (targets.length === 0) {
    return `error: no tracked file or folder ${scope}${suggest(scope, [...context.files, ...listFolders(context.files)])}`;
  }
  const limit = Math.min(
    (values.max_results as number | undefined) ?? SEARCH_DEFAULT_RESULTS,
    SEARCH_MAX_RESULTS,
  );
  const { shown, total, matchedFiles } = await collectMatches(context.dir, targets, matches, limit);
  if (total === 0) return `no matches for ${pattern}${scope === "" ? "" : ` in ${scope}`}`;
  const summary =
    total > limit
      ? `first ${limit} of ${total} matches (narrow the search with path)`
      : `${plural(total, "match", "matches")} in ${plural(matchedFiles, "file", "files")}`;
  return [...shown, summary].join("\n");
}

/** Matching lines of `targets` in order: the first `limit` formatted, all of them counted. */
async function collectMatches(
  dir: string,
  targets: readonly string[],
  matches: (line: string) => boolean,
  limit: number,
): Promise<{ shown: string[]; total: number; matchedFiles: number }> {
  const shown: string[] = [];
  let total = 0;
  let matchedFiles = 0;
  for (let index = 0; index < targets.length; index += SEARCH_BATCH_FILES) {
    const batch = targets.slice(index, index + SEARCH_BATCH_FILES);
    const texts = await Promise.all(batch.map((path) => readForSearch(dir, path)));
    for (const [position, text] of texts.entries()) {
      const lines = text === undefined ? [] : splitLines(text);
      const before = total;
      for (const [number, line] of lines.entries()) {
        if (!matches(line)) continue;
        total++;
        if (shown.length < limit) {
          shown.push(`${batch[position]}:${number + 1}: ${line.slice(0, SEARCH_LINE_CHARACTERS)}`);
        }
      }
      if (total > before) matchedFiles++;
    }
  }
  return { shown, total, matchedFiles };
}

/**
 * A tracked file's text for search_code, or undefined when it is skipped: binary, over 1 MB,
 * a symbolic link (O_NOFOLLOW; its target is searched when tracked), a submodule folder, or missing.
 */
async function readForSearch(dir: string, path: string): Promise<string | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(join(dir, path), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    if ((await handle.stat()).size > SEARCH_MAX_FILE_BYTES) return undefined;
    const content = await handle.readFile();
    return isBinary(content) ? undefined : content.toString("utf8");
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

async function listFolder(values: Values, context: ToolContext): Promise<string> {
  const folder = values.path === undefined ? "" : normalizePath(values.path as string);
  if (folder === undefined) return PATH_ERROR;
  const prefix = folder === "" ? "" : `${folder}/`;
  const counts = new Map<string, number>();
  const names: string[] = [];
  for (const file of context.files) {
    if (!file.startsWith(prefix)) continue;
    const rest = file.slice(prefix.length);
    const slash = rest.indexOf("/");
    if (slash === -1) names.push(rest);
    else counts.set(rest.slice(0, slash), (counts.get(rest.slice(0, slash)) ?? 0) + 1);
  }
  if (counts.size === 0 && names.length === 0) return missingFolderError(folder, context.files);
  const folders = [...counts.keys()].sort(compareNames);
  return [
    ...folders.map((name) => `${name}/ (${plural(counts.get(name) ?? 0, "file", "files")})`),
    ...names.sort(compareNames),
  ].join("\n");
}

function missingFolderError(folder: string, files: readonly string[]): string {
  if (folder === "") return "error: the repository has no tracked files";
  if (files.includes(folder)) return `error: ${folder} is a file; use view_file`;
  return `error: no tracked folder ${folder}${suggest(folder, listFolders(files))}`;
}

/** Every folder that holds a tracked file, at any depth. */
function listFolders(files: readonly string[]): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    for (let slash = file.indexOf("/"); slash !== -1; slash = file.indexOf("/", slash + 1)) {
      folders.add(file.slice(0, slash));
    }
  }
  return [...folders];
}

/** " (did you mean: ...)" with up to 3 candidates of the same base name, most shared trailing folders first. */
function suggest(path: string, candidates: readonly string[]): string {
  const wanted = path.split("/");
  const sharedTail = (candidate: string) => {
    const segments = candidate.split("/");
    let shared = 0;
    while (shared < wanted.length && segments.at(-1 - shared) === wanted.at(-1 - shared)) shared++;
    return shared;
  };
  const best = candidates
    .map((candidate) => ({ candidate, shared: sharedTail(candidate) }))
    .filter((entry) => entry.shared > 0)
    .sort((left, right) => right.shared - left.shared)
    .slice(0, SUGGESTIONS);
  return best.length > 0 ? ` (did you mean: ${best.map((entry) => entry.candidate).join(", ")})` : "";
}

function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/** Lines without their `\n` or `\r\n`; a final newline does not start another line. */
function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/** Plain code-unit order: the same on every machine, unlike locale order. */
function compareNames(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
