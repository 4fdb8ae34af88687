import { estimateTokens } from "../context/estimate-tokens.js";
import { isTestPath } from "../context/is-test-path.js";
import type { FileOutline } from "../context/outline-python-files.js";
import type { RankedFile, ScoredDefinition } from "../context/rank-definitions.js";
import type { Model, Usage } from "../model/model.js";
import type { AttemptRecord } from "../store/attempt-record.js";
import { ZERO_USAGE } from "./attempt-record.js";

/** How the files shown on attempt 1 are chosen: from the issue's evidence alone, or a model call first. */
export type LocalizeMode = "retrieval" | "model";

export const LOCALIZE_MODES: readonly LocalizeMode[] = ["retrieval", "model"];

/** Tokens of the repository's tree shown to the model (paths of Python files, test folders left out). */
const TREE_TOKENS = 4_000;
/** Candidate files whose skeletons are shown, best first... */
const SKELETON_FILES = 8;
/** ...each up to this many tokens. */
const SKELETON_TOKENS = 600;
/** Most files the model's answer may name; the rest is ignored (and recorded). */
export const MAX_LOCALIZED_FILES = 5;

export const LOCALIZE_SYSTEM_PROMPT = `You locate the code a reported issue is about in a Python repository, before it is fixed.
Answer only with the files and definitions that most likely need to change or be read to fix it,
most likely first, one per line: a file as \`path/to/file.py\`, a definition as
\`path/to/file.py::Class.method\` or \`path/to/file.py::function\`. At most ${MAX_LOCALIZED_FILES} files; no other text.`;

/** What the model step chose, and what became of its answer; kept with attempt 1's record (the store's type). */
export type LocalizationRecord = NonNullable<AttemptRecord["localization"]>;

/** The repository's Python files outside test folders, one path a line, sorted, cut to a token budget. */
export function renderRepositoryTree(files: readonly string[], maxTokens = TREE_TOKENS): string {
  const paths = files.filter((path) => path.endsWith(".py") && !isTestPath(path)).sort();
  const kept: string[] = [];
  let tokens = 0;
  for (const path of paths) {
    tokens += estimateTokens(`${path}\n`);
    if (tokens > maxTokens) {
      kept.push(`(${paths.length - kept.length} more files not listed)`);
      break;
    }
    kept.push(path);
  }
  return kept.join("\n");
}

/** The localization request: the issue, the tree, and the skeletons of retrieval's best files. */
export function renderLocalizeMessage(
  issue: string,
  tree: string,
  ranked: readonly RankedFile[],
  documents: ReadonlyMap<string, string>,
  outlines: ReadonlyMap<string, FileOutline>,
): string {
  const skeletons: string[] = [];
  for (const entry of ranked.filter((file) => file.path.endsWith(".py")).slice(0, SKELETON_FILES)) {
    const outline = outlines.get(entry.path);
    if (!outline) continue;
    const lines = (documents.get(entry.path) ?? "").split("\n");
    const text = renderSkeleton(outline, lines, entry.definitions);
    skeletons.push(`${entry.path}:\n\`\`\`text\n${text}\n\`\`\``);
  }
  return [
    "<issue>",
    issue.trim(),
    "</issue>",
    "",
    "Python files of the repository (tests left out):",
    "```text",
    tree,
    "```",
    "",
    skeletons.length > 0
      ? "Skeletons (line: definition) of the files a search for the issue's words ranked highest:"
      : "",
    ...skeletons,
    "",
    "Name the files and definitions to show, one per line (`path` or `path::Class.method`).",
  ].join("\n");
}

/**
 * A file's skeleton: the `def`/`class` line of each definition, with its line number. Those retrieval
 * ranked come first when the file is too long for all of them, the rest in file order until the cap.
 */
export function renderSkeleton(
  outline: FileOutline,
  lines: readonly string[],
  ranked: readonly ScoredDefinition[],
  maxTokens = SKELETON_TOKENS,
): string {
  const definitions = outline.definitions.filter((definition) => definition.kind !== "variable");
  const first = ranked.map((scored) => scored.definition).filter((d) => definitions.includes(d));
  const order = [...new Set([...first, ...definitions])];
  const width = String(lines.length).length;
  const kept: { line: number; text: string }[] = [];
  let tokens = 0;
  for (const definition of order) {
    let at = definition.start;
    while (at < definition.headerEnd && !/^\s*(async\s+def|def|class)\s/.test(lines[at - 1] ?? "")) at++;
    const text = `${String(at).padStart(width)}: ${(lines[at - 1] ?? "").trimEnd().slice(0, 110)}`;
    tokens += estimateTokens(`${text}\n`);
    if (tokens > maxTokens) break;
    kept.push({ line: at, text });
  }
  const cut = kept.length < order.length ? ["(more definitions not listed)"] : [];
  return [...kept.sort((left, right) => left.line - right.line).map((entry) => entry.text), ...cut].join(
    "\n",
  );
}

/** One line of the answer, read: a path and maybe a qualified name. */
export interface LocalizeEntry {
  /** The line as written (for the record when it is ignored). */
  line: string;
  path: string;
  /** `Class.method`, `function`; absent for a whole file. */
  qualname?: string;
}

/** Reads `path` and `path::Qual.name` lines; bullets, numbering and backticks are tolerated. */
export function parseLocalizeAnswer(text: string): LocalizeEntry[] {
  const entries: LocalizeEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw
      .trim()
      .replace(/^([-*+]|\d+[.)])\s+/, "")
      .replaceAll("`", "")
      .trim();
    if (!line || line.startsWith("```")) continue;
    const [path = "", qualname] = line.split("::", 2).map((part) => part.trim());
    entries.push({
      line,
      path: path.replace(/^\.\//, ""),
      ...(qualname ? { qualname: qualname.replace(/\(\)$/, "") } : {}),
    });
  }
  return entries;
}

/** The model's choice, checked against the checkout: what exists is kept, the rest is recorded as ignored. */
export function resolveLocalizeAnswer(
  entries: readonly LocalizeEntry[],
  known: ReadonlySet<string>,
  outlines: ReadonlyMap<string, FileOutline>,
): { files: string[]; definitions: Map<string, string[]>; ignored: string[] } {
  const files: string[] = [];
  const definitions = new Map<string, string[]>();
  const ignored: string[] = [];
  for (const entry of entries) {
    if (!known.has(entry.path)) {
      ignored.push(entry.line);
      continue;
    }
    if (!files.includes(entry.path)) {
      if (files.length >= MAX_LOCALIZED_FILES) {
        ignored.push(entry.line);
        continue;
      }
      files.push(entry.path);
    }
    if (entry.qualname === undefined) continue;
    const exists = outlines.get(entry.path)?.definitions.some((d) => d.qualname === entry.qualname);
    if (!exists) {
      ignored.push(entry.line);
      continue;
    }
    const named = definitions.get(entry.path) ?? [];
    if (!named.includes(entry.qualname)) named.push(entry.qualname);
    definitions.set(entry.path, named);
  }
  return { files, definitions, ignored };
}

/**
 * The ranked files with the model's choice first: its files in its order, above everything retrieval
 * found, and in each its named definitions above the file's own best. Retrieval's files follow, in
 * their order, to fill the rest of the budget.
 */
export function prioritize(
  ranked: readonly RankedFile[],
  files: readonly string[],
  definitions: ReadonlyMap<string, string[]>,
  outlines: ReadonlyMap<string, FileOutline>,
): RankedFile[] {
  const top = Math.max(1, ...ranked.map((entry) => entry.score));
  const chosen: RankedFile[] = files.map((path, index) => {
    const entry = ranked.find((file) => file.path === path);
    const own = entry?.definitions ?? [];
    const best = Math.max(1, own[0]?.score ?? 0);
    const named = definitions.get(path) ?? [];
    const lifted: ScoredDefinition[] = named.flatMap((qualname, at) => {
      const definition = outlines.get(path)?.definitions.find((d) => d.qualname === qualname);
      if (!definition) return [];
      const previous = own.find((scored) => scored.definition === definition);
      return [
        {
          path,
          definition,
          score: 2 * best + (named.length - at),
          frameLines: previous?.frameLines ?? [],
        },
      ];
    });
    const rest = own.filter((scored) => !named.includes(scored.definition.qualname));
    return {
      path,
      reason: "model",
      score: 2 * top + (files.length - index),
      definitions: [...lifted, ...rest],
    };
  });
  return [...chosen, ...ranked.filter((entry) => !files.includes(entry.path))];
}

/** The call's outcome: the parsed entries, or the failure; with what it cost either way. */
export interface LocalizeCall {
  entries: LocalizeEntry[] | undefined;
  error?: string;
  usage: Usage;
  costUsd: number | null;
}

/** One call to the model; a provider failure is a value (the caller falls back to retrieval). */
export async function callLocalizeModel(
  model: Model,
  message: string,
  request: { instanceId?: string; signal?: AbortSignal },
): Promise<LocalizeCall> {
  const response = await model.complete({
    system: LOCALIZE_SYSTEM_PROMPT,
    messages: [{ role: "user", content: message }],
    maxOutputTokens: 1_000,
    ...request,
  });
  if (!response.ok) return { entries: undefined, error: response.message, usage: ZERO_USAGE, costUsd: 0 };
  return { entries: parseLocalizeAnswer(response.text), usage: response.usage, costUsd: response.costUsd };
}
