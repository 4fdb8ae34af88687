import type { CandidateFile } from "./choose-candidate-files.js";
import { isTestPath } from "./is-test-path.js";
import type { NamedSymbol } from "./issue-evidence.js";

/** A base class defined in more code files than this says too little about which one is meant. */
const BASE_NAME_FILES = 3;
/** Most files added for being a base class of a named one (a count). */
const ANCESTOR_FILES = 8;
/** How many generations of base classes are followed up from a class the issue names. */
const ANCESTOR_DEPTH = 4;

/**
 * The files defining the base classes of the classes the issue names in code (`Symbol` →
 * `AtomicExpr`, `Boolean` → … → `Printable`), each base found by its `class` line in at most
 * `BASE_NAME_FILES` code files: behaviour an instance shows is often inherited.
 */
export function ancestorFiles(
  classNames: readonly string[],
  documents: ReadonlyMap<string, string>,
  definers: ReadonlyMap<string, readonly string[]>,
): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  let generation = [...classNames];
  for (let depth = 0; depth <= ANCESTOR_DEPTH && generation.length > 0; depth++) {
    const next: string[] = [];
    for (const name of generation) {
      if (seen.has(name)) continue;
      seen.add(name);
      const pattern = new RegExp(`^class[ \\t]+${name}\\b[ \\t]*(?:\\(([^)]*)\\))?[ \\t]*:`, "m");
      const classLines = (definers.get(name) ?? [])
        .filter((path) => !isTestPath(path))
        .flatMap((path) => {
          const line = pattern.exec(documents.get(path) ?? "");
          return line ? [{ path, bases: line[1] ?? "" }] : [];
        });
      if (classLines.length === 0 || classLines.length > BASE_NAME_FILES) continue;
      for (const { path, bases } of classLines) {
        if (depth > 0 && !found.includes(path)) found.push(path);
        for (const base of bases.split(",")) {
          const last = base.trim().split(".").at(-1) ?? "";
          if (/^[A-Za-z_]\w*$/.test(last) && last !== "object") next.push(last);
        }
      }
    }
    generation = next;
  }
  return found;
}

/**
 * The candidates with the files of the base classes of the classes the issue names in code marked
 * `inherited`, and up to `ANCESTOR_FILES` such files that were not candidates added after them
 * (reason `ancestor`). Only names written as code (backticks, code blocks) and capitalised count.
 */
export function withAncestorFiles(
  candidates: readonly CandidateFile[],
  symbols: readonly NamedSymbol[],
  documents: ReadonlyMap<string, string>,
  definers: ReadonlyMap<string, readonly string[]>,
): CandidateFile[] {
  const classes = symbols
    .filter((symbol) => symbol.strength === 2 && /^[A-Z]/.test(symbol.name))
    .map((symbol) => symbol.name);
  const ancestors = ancestorFiles(classes, documents, definers);
  const known = new Set(candidates.map((candidate) => candidate.path));
  return [
    ...candidates.map((candidate) =>
      ancestors.includes(candidate.path) ? { ...candidate, inherited: true } : candidate,
    ),
    ...ancestors
      .filter((path) => !known.has(path))
      .slice(0, ANCESTOR_FILES)
      .map((path) => ({ path, reason: "ancestor" as const, bm25: 0 })),
  ];
}
