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

/** Ranks documents (path → text) against a query, best first; documents scoring 0 are dropped. */
export function rankFilesBm25(query: string, documents: Map<string, string>, limit = 20): RankedFile[] {
  const queryTerms = [...new Set(tokenize(query))];
  if (queryTerms.length === 0 || documents.size === 0) return [];
  const frequencies = new Map<string, Map<string, number>>();
  const lengths = new Map<string, number>();
  const documentFrequency = new Map<string, number>();
  const wanted = new Set(queryTerms);
  let totalLength = 0;
  for (const [path, text] of documents) {
    // The path is part of the document: `django/db/models/query.py` should match "query".
    const tokens = tokenize(`${path.replaceAll("/", " ")} ${text}`);
    totalLength += tokens.length;
    lengths.set(path, tokens.length);
    const counts = new Map<string, number>();
    for (const token of tokens) if (wanted.has(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
    frequencies.set(path, counts);
    for (const term of counts.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const averageLength = totalLength / documents.size || 1;
  const k1 = 1.2;
  const b = 0.75;
  const ranked: RankedFile[] = [];
  for (const [path, counts] of frequencies) {
    let score = 0;
    const length = lengths.get(path) ?? 0;
    for (const term of queryTerms) {
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
