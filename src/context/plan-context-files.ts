import { estimateTokens } from "./estimate-tokens.js";
import type { Definition, FileOutline } from "./outline-python-files.js";
import type { RankedFile, ScoredDefinition } from "./rank-definitions.js";
import { type ContextFile, renderContextFile } from "./render-context-file.js";
import { renderOutline } from "./render-outline.js";

export { estimateTokens } from "./estimate-tokens.js";

/** Limits of the shown context; every figure is in estimated tokens (4 characters a token) unless named. */
export interface PlanLimits {
  /** Tokens allowed for all files together. */
  tokenBudget: number;
  /** A file up to this many tokens is shown whole. */
  wholeFileTokens: number;
  /** Share (0–1) of the budget up to which the best file, then the second, is shown whole. */
  wholeShares: number[];
  /** Largest single piece; a longer definition is cut to its header and the lines around its frames. */
  pieceTokens: number;
  /** Largest outline of one of the three best files, then of any other. */
  outlineTokens: [number, number];
  /** Largest import block shown verbatim at the top of a partly shown file. */
  importTokens: number;
  /** Most definitions offered from one file (a count). */
  definitionsPerFile: number;
  /** Most files offered (a count). */
  files: number;
  /** How much each further definition of the same file weighs against the file's best (0–1). */
  decay: number;
}

/** Tuned on the development set only (see bench/context-bench.ts). */
export const DEFAULT_PLAN_LIMITS: Omit<PlanLimits, "tokenBudget"> = {
  wholeFileTokens: 3_000,
  wholeShares: [0.45, 0.25],
  pieceTokens: 2_500,
  outlineTokens: [700, 250],
  importTokens: 500,
  definitionsPerFile: 12,
  files: 15,
  decay: 0.92,
};

/** A neighbour of a chosen definition is offered when it is this short (estimated tokens)... */
const NEIGHBOUR_TOKENS = 400;
/** ...at this share of the chosen one's priority (0–1; 0.6–0.8 on the development set, 0.7 best). */
const NEIGHBOUR_WEIGHT = 0.7;

/** Something that may be shown: a whole file, or one more piece of a partly shown one. */
interface Offer {
  /** Index of the file in the ranked list. */
  rank: number;
  /** Evidence points for showing it (no unit); offers are taken highest first. */
  priority: number;
  /** Line ranges it adds, or null for the whole file. */
  ranges: [number, number][] | null;
}

/**
 * Turns ranked files into what the model is shown, within the budget. Every file and definition
 * competes for the same budget, strongest evidence first: a small file is one offer (the whole
 * file); a large one offers its definitions one by one, each weighing less than the one before, so
 * the best file gets most of the room but a strong definition in the tenth file still gets in. A
 * partly shown file carries an outline (signatures and first docstring lines with their line
 * numbers), and every piece its line numbers.
 */
export function planContextFiles(
  ranked: readonly RankedFile[],
  documents: ReadonlyMap<string, string>,
  outlines: ReadonlyMap<string, FileOutline>,
  limits: PlanLimits,
): { files: ContextFile[]; tokens: number } {
  const offered = ranked.slice(0, limits.files);
  const lines = offered.map((entry) => splitLines(documents.get(entry.path) ?? ""));
  const offers: Offer[] = [];
  for (const [rank, entry] of offered.entries()) {
    const fileLines = lines[rank] ?? [];
    if (fileLines.length === 0) continue;
    const outline = outlines.get(entry.path);
    const wholeLimit = Math.max(limits.wholeFileTokens, (limits.wholeShares[rank] ?? 0) * limits.tokenBudget);
    if (estimateTokens(fileLines.join("\n")) <= wholeLimit || !outline?.definitions.length) {
      offers.push({ rank, priority: entry.score, ranges: null });
      continue;
    }
    const best = entry.definitions[0]?.score ?? 0;
    const chosen = entry.definitions
      .filter((scored) => scored.score >= Math.max(0.5, best * 0.15))
      .slice(0, limits.definitionsPerFile);
    chosen.forEach((scored, index) => {
      const weight = limits.decay ** index * (0.5 + (0.5 * scored.score) / (best || 1));
      offers.push({
        rank,
        priority: entry.score * weight,
        ranges: piecesOf(scored, fileLines, limits.pieceTokens),
      });
      // Its short neighbours, for less: the function next to the one an issue points at is often
      // its helper or its caller (sympy__sympy-20639: _print_Pow calls _print_nth_root, just above).
      for (const neighbour of neighboursOf(scored.definition, outline)) {
        const range: [number, number] = [neighbour.start, neighbour.end];
        if (estimateTokens(fileLines.slice(range[0] - 1, range[1]).join("\n")) > NEIGHBOUR_TOKENS) continue;
        offers.push({ rank, priority: entry.score * weight * NEIGHBOUR_WEIGHT, ranges: [range] });
      }
    });
    // The imports verbatim when short, just after the best definition: many fixes add an import.
    // Only the block at the top: modules that import at the bottom too (to break cycles) would
    // otherwise stretch it over the whole file.
    const firstDefinition = outline.definitions.find((definition) => definition.kind !== "variable")?.start;
    const lastImport = outline.imports
      .filter(([start]) => !firstDefinition || start < firstDefinition)
      .at(-1)?.[1];
    if (
      chosen.length > 0 &&
      lastImport &&
      estimateTokens(fileLines.slice(0, lastImport).join("\n")) <= limits.importTokens
    )
      offers.push({ rank, priority: entry.score * limits.decay * 0.99, ranges: [[1, lastImport]] });
  }
  offers.sort((left, right) => right.priority - left.priority || left.rank - right.rank);

  const shown = new Map<number, ContextFile>();
  const cost = new Map<number, number>();
  let tokens = 0;
  for (const offer of offers) {
    const entry = offered[offer.rank];
    const fileLines = lines[offer.rank];
    if (!entry || !fileLines) continue;
    const current = shown.get(offer.rank);
    if (current?.ranges === null) continue;
    const file: ContextFile =
      offer.ranges === null
        ? {
            path: entry.path,
            reason: entry.reason,
            ranges: null,
            lineCount: fileLines.length,
            sections: [{ start: 1, end: fileLines.length, text: documents.get(entry.path) ?? "" }],
          }
        : partialFile(
            entry,
            fileLines,
            outlines.get(entry.path),
            // Further down the list an outline says less: a short one leaves room for code.
            limits.outlineTokens[offer.rank < 3 ? 0 : 1],
            [...(current?.ranges ?? []), ...offer.ranges],
          );
    const fileTokens = estimateTokens(renderContextFile(file));
    const added = fileTokens - (cost.get(offer.rank) ?? 0);
    if (tokens + added > limits.tokenBudget) continue;
    shown.set(offer.rank, file);
    cost.set(offer.rank, fileTokens);
    tokens += added;
  }
  const files = [...shown.entries()].sort(([left], [right]) => left - right).map(([, file]) => file);
  return { files, tokens };
}

function partialFile(
  entry: RankedFile,
  lines: string[],
  outline: FileOutline | undefined,
  outlineTokens: number,
  ranges: [number, number][],
): ContextFile {
  const merged = mergeRanges(ranges);
  const chosen = entry.definitions.filter((scored) =>
    merged.some(([start, end]) => start <= scored.definition.start && scored.definition.start <= end),
  );
  return {
    path: entry.path,
    reason: entry.reason,
    ranges: merged,
    lineCount: lines.length,
    sections: merged.map(([start, end]) => ({
      start,
      end,
      text: `${lines.slice(start - 1, end).join("\n")}\n`,
    })),
    ...(outline ? { outline: renderOutline(outline, lines, chosen, outlineTokens) } : {}),
  };
}

/** The definitions just before and after one, at its level (methods of its class, or module-level). */
function neighboursOf(definition: Definition, outline: FileOutline): Definition[] {
  const owner = (qualname: string) => qualname.split(".").slice(0, -1).join(".");
  const level = outline.definitions.filter(
    (other) => other.kind !== "variable" && owner(other.qualname) === owner(definition.qualname),
  );
  const at = level.indexOf(definition);
  if (at < 0) return [];
  return [level[at - 1], level[at + 1]].filter((other): other is Definition => other !== undefined);
}

/**
 * The lines of a definition worth showing in full: a class whole when it fits in a piece, else up to
 * its first method (its docstring and attributes — its methods are chosen on their own); anything
 * else whole unless it is longer than a piece, then its header and the lines around the frames that
 * point into it.
 */
function piecesOf(scored: ScoredDefinition, lines: string[], pieceTokens: number): [number, number][] {
  const definition: Definition = scored.definition;
  const cost = (from: number, to: number) => estimateTokens(lines.slice(from - 1, to).join("\n"));
  // A class that fits in one piece is shown whole: the issue names the class, the fix is in one of
  // its methods (sympy__sympy-12419 names Identity, the fix is Identity._entry).
  if (definition.kind === "class" && cost(definition.start, definition.end) <= pieceTokens)
    return [[definition.start, definition.end]];
  const end = definition.firstChildStart ? definition.firstChildStart - 1 : definition.end;
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

/** A file's lines; a final newline does not start another line. */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
