/** The budget for code on attempt 1 when nothing says otherwise (estimated tokens, 4 characters a token). */
export const DEFAULT_CONTEXT_TOKEN_BUDGET = 24_000;

/** A family of models that share a default budget for the code shown on attempt 1. */
export interface ContextTokenFamily {
  /** The family's name, as `swegate context` prints it. */
  family: string;
  /** Matched against the model id (the part after `provider:`), whatever the provider or cloud. */
  pattern: RegExp;
  /** Default budget for code on attempt 1, in estimated tokens. */
  tokens: number;
}

/**
 * Cheap models with long context windows get more room for the code around what the issue points
 * at. An input token of these costs a fifth to a twentieth of a large model's: Haiku 4.5 reads 200k
 * tokens at $1 a million, Gemini Flash 1M at $0.30–0.50, GPT-5 mini 400k at $0.25. On the
 * development set (`npm run bench`, context) coverage of the gold hunks was the same from 24k to 64k
 * (what the located builder misses, it misses by ranking, not room), so the extra is modest and
 * largest where a token is cheapest. Any other model (local, unknown window) keeps 24000.
 */
export const CONTEXT_TOKEN_FAMILIES: readonly ContextTokenFamily[] = [
  { family: "Claude Haiku", pattern: /haiku/i, tokens: 32_000 },
  { family: "Gemini Flash", pattern: /gemini-[\w.-]*flash/i, tokens: 48_000 },
  { family: "GPT mini", pattern: /(^|\/)(gpt-[\w.]+|o\d)-(mini|nano)\b/i, tokens: 32_000 },
];

/**
 * The default budget for a `--model` spec, and the family it came from (`other` for none). The
 * scripted stand-ins (oracle, demo, replay:PATH — a path may spell anything) belong to no family.
 */
export function defaultContextTokens(modelSpec: string | undefined): { tokens: number; family: string } {
  const separator = modelSpec?.indexOf(":") ?? -1;
  const scripted = !modelSpec || separator < 1 || modelSpec.startsWith("replay:");
  const modelName = modelSpec?.slice(separator + 1) ?? "";
  const found = scripted ? undefined : CONTEXT_TOKEN_FAMILIES.find((entry) => entry.pattern.test(modelName));
  return found
    ? { tokens: found.tokens, family: found.family }
    : { tokens: DEFAULT_CONTEXT_TOKEN_BUDGET, family: "other" };
}
