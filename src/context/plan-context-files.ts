import type { Definition, FileOutline } from "./outline-python-files.js";
import type { RankedFile, ScoredDefinition } from "./rank-definitions.js";
import { type ContextFile, type ContextSection, renderContextFile } from "./render-context-file.js";

/** Limits of the shown context; every figure is in estimated tokens (4 characters a token) unless named. */
export interface PlanLimits {
  /** Tokens allowed for all files together. */
  tokenBudget: number;
  /** A file up to this many tokens is shown whole. */
  wholeFileTokens: number;
  /** Largest single piece; a longer definition is cut to its header and the lines around its frames. */
  pieceTokens: number;
  /** Largest outline of one file. */
  outlineTokens: number;
  /** Largest import block shown verbatim at the top of a partly shown file. */
  importTokens: number;
  /** Most definitions shown in full from one partly shown file (a count). */
  definitionsPerFile: number;
  /** Share (0–1) of the budget still left that the file of each rank may take; the last applies to the rest. */
  shares: number[];
}

/** Tuned on the development set only (see bench/context-bench.ts). */
export const DEFAULT_PLAN_LIMITS: Omit<PlanLimits, "tokenBudget"> = {
  wholeFileTokens: 3_000,
  pieceTokens: 2_500,
  outlineTokens: 700,
  importTokens: 500,
  definitionsPerFile: 12,
  shares: [0.45, 0.4, 0.3],
};

/** Rough token count: 4 characters a token is close enough for budgeting prompts. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Turns ranked files into what the model is shown, best first, within the budget: a small file
 * whole; a large one as an outline (imports, signatures, first docstring lines, each with its line
 * number) plus the full text of its best definitions — so a 4,000-line file costs what its relevant
 * functions cost, and every piece carries its line numbers.
 */
export function planContextFiles(
  ranked: readonly RankedFile[],
  documents: ReadonlyMap<string, string>,
  outlines: ReadonlyMap<string, FileOutline>,
  limits: PlanLimits,
): { files: ContextFile[]; tokens: number } {
  const files: ContextFile[] = [];
  let tokens = 0;
  for (const [rank, entry] of ranked.entries()) {
    const remaining = limits.tokenBudget - tokens;
    if (remaining < 100) break;
    // The best files get most of what is left: the fix is nearly always in the first two or three.
    const share = Math.min(remaining, remaining * (limits.shares[rank] ?? limits.shares.at(-1) ?? 1));
    const text = documents.get(entry.path);
    if (!text) continue;
    const lines = splitLines(text);
    const whole: ContextFile = {
      path: entry.path,
      reason: entry.reason,
      ranges: null,
      lineCount: lines.length,
      sections: [{ start: 1, end: lines.length, text }],
    };
    const wholeTokens = estimateTokens(renderContextFile(whole));
    const outline = outlines.get(entry.path);
    if (wholeTokens <= Math.min(Math.max(limits.wholeFileTokens, share), remaining)) {
      files.push(whole);
      tokens += wholeTokens;
      continue;
    }
    if (!outline?.definitions.length) continue;
    const partial = planPartialFile(entry, lines, outline, limits, share);
    if (!partial) continue;
    files.push(partial.file);
    tokens += partial.tokens;
  }
  return { files, tokens };
}

function planPartialFile(
  entry: RankedFile,
  lines: string[],
  outline: FileOutline,
  limits: PlanLimits,
  remaining: number,
): { file: ContextFile; tokens: number } | undefined {
  const best = entry.definitions[0]?.score ?? 0;
  const chosen = entry.definitions
    .filter((scored) => scored.score >= Math.max(0.5, best * 0.15))
    .slice(0, limits.definitionsPerFile);
  const outlineText = renderOutline(outline, lines, chosen, limits.outlineTokens);
  const file: ContextFile = {
    path: entry.path,
    reason: entry.reason,
    ranges: [],
    lineCount: lines.length,
    sections: [],
    outline: outlineText,
  };
  let tokens = estimateTokens(renderContextFile(file));
  if (tokens > remaining) return undefined;
  const ranges: [number, number][] = [];
  // Best first, so the budget goes to the strongest evidence; shown afterwards in line order.
  const wanted = chosen.map((scored) => piecesOf(scored, lines, limits.pieceTokens));
  // The imports verbatim, when short, after the best definition: many fixes add an import, and
  // they tell what the names in the code are.
  const lastImport = outline.imports.at(-1)?.[1];
  if (lastImport && estimateTokens(lines.slice(0, lastImport).join("\n")) <= limits.importTokens)
    wanted.splice(1, 0, [[1, lastImport]]);
  for (const pieces of wanted) {
    const fresh = pieces.filter(([start, end]) => !ranges.some(([from, to]) => from <= start && end <= to));
    const trial = mergeRanges([...ranges, ...fresh]);
    const trialFile = { ...file, ranges: trial, sections: sectionsOf(trial, lines) };
    const trialTokens = estimateTokens(renderContextFile(trialFile));
    if (trialTokens > remaining) continue;
    ranges.splice(0, ranges.length, ...trial);
    tokens = trialTokens;
  }
  return { file: { ...file, ranges, sections: sectionsOf(ranges, lines) }, tokens };
}

/**
 * The lines of a definition worth showing in full: a class up to its first method (its docstring and
 * attributes — its methods are chosen on their own), anything else whole unless it is longer than a
 * piece, then its header and the lines around the frames that point into it.
 */
function piecesOf(scored: ScoredDefinition, lines: string[], pieceTokens: number): [number, number][] {
  const definition: Definition = scored.definition;
  const end = definition.firstChildStart ? definition.firstChildStart - 1 : definition.end;
  const cost = (from: number, to: number) => estimateTokens(lines.slice(from - 1, to).join("\n"));
  if (cost(definition.start, end) <= pieceTokens) return [[definition.start, end]];
  const header: [number, number] = [
    definition.start,
    Math.max(definition.headerEnd, definition.docLine ?? 0),
  ];
  const around = scored.frameLines.map((line): [number, number] => [
    Math.max(definition.start, line - 30),
    Math.min(end, line + 15),
  ]);
  if (around.length > 0) return mergeRanges([header, ...around]);
  // No frame: the first lines after the header, as many as a piece holds.
  let to = header[1];
  while (to < end && cost(definition.start, to + 1) <= pieceTokens) to++;
  return [[definition.start, to]];
}

/** One line per definition (`  120:     def name(args):`) after one for the imports, up to a token cap. */
export function renderOutline(
  outline: FileOutline,
  lines: string[],
  chosen: readonly ScoredDefinition[],
  maxTokens: number,
): string {
  const entries: { line: number; text: string; level: number }[] = [];
  // Imports are one line: listing them would take the room the signatures need.
  const first = outline.imports[0]?.[0];
  const last = outline.imports.at(-1)?.[1];
  if (first && last)
    entries.push({
      line: first,
      text: `(lines ${first}-${last}: ${outline.imports.length} import statements)`,
      level: 0,
    });
  const chosenClasses = new Set(
    chosen.map((scored) => scored.definition.qualname.split(".").slice(0, -1).join(".")).filter(Boolean),
  );
  for (const definition of outline.definitions) {
    if (definition.kind === "variable") continue;
    const owner = definition.qualname.split(".").slice(0, -1).join(".");
    // Methods of other classes are the first thing to go when the outline is too long.
    const level = owner === "" ? 0 : chosenClasses.has(owner) ? 1 : 2;
    const at = lineOfDef(definition, lines);
    entries.push({ line: at, text: clip(lines[at - 1] ?? ""), level });
    if (definition.docLine && level === 0)
      entries.push({ line: definition.docLine, text: clip(lines[definition.docLine - 1] ?? ""), level: 0 });
  }
  const width = String(lines.length).length;
  const render = (maxLevel: number) =>
    entries
      .filter((entry) => entry.level <= maxLevel)
      .sort((left, right) => left.line - right.line)
      .map((entry) => `${String(entry.line).padStart(width)}: ${entry.text}`);
  for (const level of [2, 1, 0]) {
    const rendered = render(level);
    if (estimateTokens(rendered.join("\n")) <= maxTokens) return rendered.join("\n");
  }
  const kept: string[] = [];
  for (const line of render(0)) {
    if (estimateTokens([...kept, line].join("\n")) > maxTokens) break;
    kept.push(line);
  }
  return [...kept, "(outline cut here)"].join("\n");
}

/** The `def`/`class` line itself (decorators come before it). */
function lineOfDef(definition: Definition, lines: string[]): number {
  for (let line = definition.start; line <= definition.headerEnd; line++)
    if (/^\s*(async\s+def|def|class)\s/.test(lines[line - 1] ?? "")) return line;
  return definition.start;
}

function clip(text: string): string {
  const trimmed = text.replace(/\s+$/, "");
  return trimmed.length > 110 ? `${trimmed.slice(0, 107)}...` : trimmed;
}

/** Ranges sorted and merged when they overlap or touch (a gap of up to 2 lines is shown too). */
export function mergeRanges(ranges: readonly [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((left, right) => left[0] - right[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last && start <= last[1] + 3) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

function sectionsOf(ranges: readonly [number, number][], lines: string[]): ContextSection[] {
  return ranges.map(([start, end]) => ({ start, end, text: `${lines.slice(start - 1, end).join("\n")}\n` }));
}

/** A file's lines; a final newline does not start another line. */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
