import { rankFilesBm25 } from "../agent/rank-files-bm25.js";
import type { CandidateFile } from "./choose-candidate-files.js";
import { qualifierMatches } from "./choose-candidate-files.js";
import { isTestPath } from "./is-test-path.js";
import type { IssueEvidence } from "./issue-evidence.js";
import { type Definition, enclosingDefinition, type FileOutline } from "./outline-python-files.js";
import type { ContextReason } from "./render-context-file.js";

/** A definition with how strongly the issue points at it. */
export interface ScoredDefinition {
  /** Path of its file. */
  path: string;
  /** The definition. */
  definition: Definition;
  /** Evidence points (no unit; higher is stronger). */
  score: number;
  /** Lines (1-based) traceback frames point at inside it. */
  frameLines: number[];
}

/** A candidate file with its ranked definitions. */
export interface RankedFile {
  /** Path relative to the checkout. */
  path: string;
  /** The strongest evidence that chose it. */
  reason: ContextReason;
  /** Evidence points for the file (no unit; higher is stronger). */
  score: number;
  /** Its definitions with a score above 0, best first. */
  definitions: ScoredDefinition[];
}

/**
 * Points a file has for the evidence that chose it, before its definitions count: a path the issue
 * writes, a module or folder a word of it names, a module a named file imports.
 */
const FILE_REASON_POINTS: Partial<Record<ContextReason, number>> = {
  mentioned: 4,
  module: 2,
  imported: 1.5,
  called: 1.5,
  // As strong as a path the issue writes: a named class is made of its bases (sympy__sympy-20590:
  // `Symbol` has a `__dict__` because a base, `Printable`, stopped declaring `__slots__`). At 3 that
  // base's short file was still not shown; at 4 no other development instance changed.
  ancestor: 4,
};

/**
 * Points, per unit of strength, for a second route to a file other evidence chose: the code the
 * issue points at calls into it, or a class the issue names inherits from it.
 */
const SECOND_ROUTE_POINTS = 1;

/**
 * Points for a definition the code the issue points at calls, times its name's rarity: between a
 * name the issue writes in prose (2) and in code (4). At 1 the two development instances it serves
 * (django__django-12589 `Query.set_group_by`, sympy__sympy-16792 `CodeGen.routine`) lose their
 * hunks again; 2 and 3 measure the same, 3 keeps a margin.
 */
const CALLEE_POINTS = 3;

/** A Django-style migration (`app/migrations/0001_initial.py`): generated data, seldom where a fix goes. */
const MIGRATION_FILE = /(^|\/)migrations\/\d{4}_\w*\.py$/;

/** Where a resolved traceback frame points. */
export interface ResolvedFrame {
  /** Repository path of the frame's file. */
  path: string;
  /** Line (1-based). */
  line: number;
  /** 0 for the first frame of the issue; higher is nearer the failure. */
  order: number;
}

/** How many definitions share each name (and kind): a name defined in many places says little. */
function countDefinitions(outlines: ReadonlyMap<string, FileOutline>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const outline of outlines.values())
    for (const definition of outline.definitions)
      counts.set(countKey(definition), (counts.get(countKey(definition)) ?? 0) + 1);
  return counts;
}

/**
 * BM25 over definitions: each one's own text with its path and qualified name, so long files do not
 * drown, scaled so the best scores 3. Keys are `path qual name#line`.
 */
function scoreDefinitionTexts(
  issue: string,
  candidates: readonly CandidateFile[],
  outlines: ReadonlyMap<string, FileOutline>,
  documents: ReadonlyMap<string, string>,
): {
  lexicalScore: Map<string, number>;
  byKey: Map<string, { path: string; definition: Definition }>;
} {
  const texts = new Map<string, string>();
  const byKey = new Map<string, { path: string; definition: Definition }>();
  for (const candidate of candidates) {
    const outline = outlines.get(candidate.path);
    const lines = (documents.get(candidate.path) ?? "").split("\n");
    for (const definition of outline?.definitions ?? []) {
      const key = `${candidate.path} ${definition.qualname.replaceAll(".", " ")}#${definition.start}`;
      const end = definition.firstChildStart ? definition.firstChildStart - 1 : definition.end;
      texts.set(key, lines.slice(definition.start - 1, end).join("\n"));
      byKey.set(key, { path: candidate.path, definition });
    }
  }
  const lexical = rankFilesBm25(issue, texts, 200);
  const topLexical = lexical[0]?.score ?? 1;
  const lexicalScore = new Map(lexical.map((ranked) => [ranked.path, (3 * ranked.score) / topLexical]));
  return { lexicalScore, byKey };
}

/**
 * Scores every definition of the candidate files from the issue's evidence — the frame lines inside
 * it, names it defines that the issue uses (rarer names weigh more, a matching qualifier more still),
 * error messages it spells, and BM25 over its own text, path and name — and each file by its best
 * definition plus whole-file evidence. Test files weigh less: a fix belongs in the code, and the
 * tests that will judge it are not shown.
 */
export function rankDefinitions(
  issue: string,
  evidence: IssueEvidence,
  candidates: readonly CandidateFile[],
  outlines: ReadonlyMap<string, FileOutline>,
  documents: ReadonlyMap<string, string>,
  frames: readonly ResolvedFrame[],
): RankedFile[] {
  const definitionCount = countDefinitions(outlines);
  const rarityOf = (definition: Definition) =>
    1 / (1 + Math.log2(definitionCount.get(countKey(definition)) ?? 1));
  const { lexicalScore, byKey } = scoreDefinitionTexts(issue, candidates, outlines, documents);
  const topFileBm25 = Math.max(1e-9, ...candidates.map((candidate) => candidate.bm25));

  const ranked: RankedFile[] = [];
  for (const candidate of candidates) {
    const outline = outlines.get(candidate.path);
    const text = documents.get(candidate.path) ?? "";
    const scores = new Map<Definition, ScoredDefinition>();
    const scored = (definition: Definition) => {
      let entry = scores.get(definition);
      if (!entry) {
        entry = { path: candidate.path, definition, score: 0, frameLines: [] };
        scores.set(definition, entry);
      }
      return entry;
    };
    for (const [key, score] of lexicalScore) {
      const owner = byKey.get(key);
      if (owner?.path === candidate.path) scored(owner.definition).score += score;
    }
    let fileScore = FILE_REASON_POINTS[candidate.reason] ?? 0;
    for (const frame of frames.filter((entry) => entry.path === candidate.path)) {
      const weight = 6 + (4 * (frame.order + 1)) / frames.length;
      fileScore = Math.max(fileScore, weight);
      const definition = outline && enclosingDefinition(outline, frame.line);
      if (!definition) continue;
      const entry = scored(definition);
      entry.score += weight;
      entry.frameLines.push(frame.line);
    }
    const inTraceback = frames.some((frame) => frame.path === candidate.path);
    for (const definition of outline?.definitions ?? []) {
      for (const symbol of evidence.symbols) {
        if (symbol.name !== definition.name) continue;
        let points = (symbol.strength === 2 ? 4 : 2) * rarityOf(definition);
        // The class whose constructor comes along: the one named, or the owner of the method named.
        let madeBy = definition.kind === "class" ? definition.qualname : undefined;
        if (symbol.qualifier) {
          const owner = definition.qualname.split(".").slice(0, -1).join(".");
          if (owner && symbol.qualifier.split(".").at(-1) === owner.split(".").at(-1)) {
            points += 4;
            madeBy = owner;
          } else if (qualifierMatches(symbol.qualifier, candidate.path, "")) points += 3;
        }
        // A name defined in several files is most likely the one in a file the traceback runs through.
        if (inTraceback) points += 3;
        // The error message names it: as strong as the message's own text found in the code.
        if (symbol.inError) points += 6;
        scored(definition).score += points;
        // A class's state is set by its constructor: often where a named method's input goes wrong
        // (django__django-15320: `Subquery.as_sql` fails, the fix is in `Subquery.__init__`).
        const initializer =
          madeBy && outline?.definitions.find((other) => other.qualname === `${madeBy}.__init__`);
        if (initializer && initializer !== definition) scored(initializer).score += points / 2;
      }
    }
    // What the code the issue points at calls (`autowrap` calls `code_gen.routine`).
    const calledNames = new Set(candidate.calledNames ?? []);
    for (const definition of outline?.definitions ?? [])
      if (calledNames.has(definition.name) && definition.kind !== "variable")
        scored(definition).score += CALLEE_POINTS * rarityOf(definition);
    if (evidence.messages.length > 0 && outline) {
      const lines = text.split("\n");
      for (const message of evidence.messages) {
        const at = lines.findIndex((line) => line.includes(message));
        const definition = at >= 0 ? enclosingDefinition(outline, at + 1) : undefined;
        if (definition) scored(definition).score += 6;
      }
    }
    const definitions = [...scores.values()]
      .filter((entry) => entry.score > 0)
      .sort((left, right) => right.score - left.score || left.definition.start - right.definition.start);
    const best = definitions[0]?.score ?? 0;
    let score = Math.max(fileScore, best) + (2 * candidate.bm25) / topFileBm25;
    // Reached a second way: the code the issue points at calls into it.
    if (candidate.called && candidate.reason !== "called") score += SECOND_ROUTE_POINTS * candidate.called;
    // A base of a class the issue names, that other evidence chose too.
    if (candidate.inherited) score += SECOND_ROUTE_POINTS;
    if (isTestPath(candidate.path) || MIGRATION_FILE.test(candidate.path)) score *= 0.3;
    ranked.push({ path: candidate.path, reason: candidate.reason, score, definitions });
  }
  return ranked.sort((left, right) => right.score - left.score || left.path.localeCompare(right.path));
}

/**
 * Classes are counted apart from functions of the same name: sympy's handlers define methods named
 * after classes (`AskDiagonalHandler.MatrixSymbol`), which must not make the class itself look common.
 */
function countKey(definition: Definition): string {
  return `${definition.kind === "class" ? "class" : "other"} ${definition.name}`;
}
