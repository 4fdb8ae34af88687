import { DEFAULT_CONTEXT_TOKEN_BUDGET, defaultContextTokens } from "../agent/default-context-tokens.js";
import { positiveInteger } from "./backend-options.js";

/** The flag's help, the same for run, ramp and context. */
export const CONTEXT_TOKENS_HELP =
  "tokens of code shown on attempt 1 (estimated, 4 characters a token; default per model family: Claude Haiku, Gemini Flash and GPT mini get more, any other model 24000)";

/**
 * The budget a run goes by, as the text the flag would hold (so it is recorded like any other flag):
 * the flag or the run's recorded value, else the model family's default. A run recorded before
 * swegate kept the budget ran with 24000 whatever its model, so that is what it resumes with.
 */
export function settleContextTokens(
  contextTokens: string | undefined,
  modelSpec: string,
  unrecorded: readonly string[],
): string {
  if (contextTokens !== undefined) return String(positiveInteger(contextTokens, "--context-tokens"));
  if (unrecorded.includes("context_tokens")) return String(DEFAULT_CONTEXT_TOKEN_BUDGET);
  return String(defaultContextTokens(modelSpec).tokens);
}
