/** Rough token count: 4 characters a token is close enough for budgeting prompts. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
