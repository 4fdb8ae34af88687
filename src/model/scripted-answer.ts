import type { ModelResponse } from "./model.js";

/** A scripted stand-in's answer: no tokens, no cost. */
export function createScriptedAnswer(text: string, startedMs: number): ModelResponse {
  return {
    ok: true,
    text,
    usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: 0,
    durationMs: Date.now() - startedMs,
    stopReason: "scripted",
    raw: null,
  };
}

/** A scripted stand-in that cannot answer: not retryable, so `refused`. */
export function createScriptedRefusal(message: string): ModelResponse {
  return { ok: false, kind: "refused", message, retries: 0, durationMs: 0 };
}
