/** Lexical retrieval over source files: Okapi BM25 on identifier tokens (k1 = 1.2, b = 0.75). */

const STOP_WORDS = new Set(
  "the a an and or of to in is it that this for on with as be by are was not at from but if when then self def return import none true false".split(
    " ",
  ),
);

/** Splits text into lower-case identifier tokens, also splitting snake_case and camelCase parts. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.match(/[A-Za-z_][A-Za-z0-9_]{1,}/g) ?? []) {
    const lower = word.toLowerCase();
    if (!STOP_WORDS.has(lower)) tokens.push(lower);
    const parts = word.split(/_|(?<=[a-z0-9])(?=[A-Z])/).filter((part) => part.length > 2);
    if (parts.length > 1) for (const part of parts) tokens.push(part.toLowerCase());
  }
  return tokens;
}

export interface RankedFile {
  /** Path relative to the workspace. */
  path: string;
  /** BM25 score (higher is more relevant). */
  score: number;
}

/** A document as BM25 needs it: its length in tokens and how often each query term occurs. */
export interface TermCounts {
  /** Tokens in the document (every token `tokenize` gives, not only the query's). */
  length: number;
  /** Occurrences of each query term that occurs. */
  counts: Map<string, number>;
}

const WORD = /[A-Za-z_][A-Za-z0-9_]{1,}/g;
const HAS_PARTS = /_|[a-z0-9][A-Z]/;

/**
 * What `tokenize` would give, counted only for the `wanted` terms (and the length), without building
 * the token list: ranking reads every file of a checkout, so this is the hot loop.
 */
export function countTerms(text: string, wanted: ReadonlySet<string>): TermCounts {
  const counts = new Map<string, number>();
  let length = 0;
  const add = (token: string) => {
    length++;
    if (wanted.has(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
  };
  for (const word of text.match(WORD) ?? []) {
    const lower = word.toLowerCase();
    if (!STOP_WORDS.has(lower)) add(lower);
    if (!HAS_PARTS.test(word)) continue;
    const parts = word.split(/_|(?<=[a-z0-9])(?=[A-Z])/).filter((part) => part.length > 2);
    if (parts.length > 1) for (const part of parts) add(part.toLowerCase());
  }
  return { length, counts };
}

/** The query's distinct terms. */
export function queryTerms(query: string): string[] {
  return [...new Set(tokenize(query))];
}

/** Ranks counted documents against query terms with Okapi BM25, best first; documents scoring 0 are dropped. */
export function rankCountedBm25(
  terms: readonly string[],
  documents: ReadonlyMap<string, TermCounts>,
  limit: number,
): RankedFile[] {
  if (terms.length === 0 || documents.size === 0) return [];
  const documentFrequency = new Map<string, number>();
  let totalLength = 0;
  for (const { length, counts } of documents.values()) {
    totalLength += length;
    for (const term of counts.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const averageLength = totalLength / documents.size || 1;
  const k1 = 1.2;
  const b = 0.75;
  const ranked: RankedFile[] = [];
  for (const [path, { length, counts }] of documents) {
    let score = 0;
    for (const term of terms) {
      const frequency = counts.get(term);
      if (!frequency) continue;
      const df = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (documents.size - df + 0.5) / (df + 0.5));
      score += (idf * frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * length) / averageLength));
    }
    if (score > 0) ranked.push({ path, score });
  }
  ranked.sort((left, right) => right.score - left.score || left.path.localeCompare(right.path));
  return ranked.slice(0, limit);
}

/** Ranks documents (path → text) against a query, best first; documents scoring 0 are dropped. */
export function rankFilesBm25(query: string, documents: Map<string, string>, limit = 20): RankedFile[] {
  const terms = queryTerms(query);
  const wanted = new Set(terms);
  const counted = new Map<string, TermCounts>();
  // The path is part of the document: `django/db/models/query.py` should match "query".
  for (const [path, text] of documents)
    counted.set(path, countTerms(`${path.replaceAll("/", " ")} ${text}`, wanted));
  return rankCountedBm25(terms, counted, limit);
}
