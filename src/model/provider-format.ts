import type { ModelRequest, ToolCall, Usage } from "./model.js";

/** What a provider's answer body says, in the shared shape; or why it cannot be read. */
export type ReadAnswer =
  | {
      ok: true;
      /** The answer's text (thinking/reasoning parts left out). */
      text: string;
      /** Tool calls in the answer, in order (empty when none). */
      toolCalls: ToolCall[];
      /** Tokens, normalised so `inputTokens` excludes cached tokens. */
      usage: Usage;
      /** The provider's stop reason as given. */
      stopReason: string;
    }
  | {
      ok: false;
      /** True when asking again may help (a cut-off or odd body); false when it will not (a blocked prompt). */
      retryable: boolean;
      /** One line for the run's record. */
      message: string;
    };

/** A provider's wire format as tiny pure functions; the caller does the HTTP and keeps the raw body. */
export interface ProviderFormat {
  /** Endpoint for one call. */
  url(baseUrl: string, model: string): string;
  /** Authentication and version headers (content-type is added by the caller). */
  headers(apiKey: string): Record<string, string>;
  /** JSON body for one call. */
  body(model: string, request: ModelRequest): unknown;
  /** Reads a parsed 200 body. */
  read(body: unknown): ReadAnswer;
}

type Json = Record<string, unknown>;

/** The value as a JSON object, or undefined. */
export const asObject = (value: unknown): Json | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;

/** A token count, or 0 when the provider left it out. */
export const countOf = (value: unknown): number => (typeof value === "number" && value >= 0 ? value : 0);

/** Joins a base URL and a path without doubling the slash. */
/** The provider's id for a tool call, or `call_<n>` (its place in the answer) when it gave none. */
export const toolCallId = (id: unknown, index: number): string =>
  typeof id === "string" ? id : `call_${index}`;

export const joinUrl = (baseUrl: string, path: string): string => `${baseUrl.replace(/\/+$/, "")}${path}`;

/** A body that is JSON but not the documented shape: maybe cut off or a proxy's error, so worth one more try. */
export const unexpectedShape = (provider: string, body: unknown): ReadAnswer => ({
  ok: false,
  retryable: true,
  message: `the ${provider} answer is not in its documented shape: ${JSON.stringify(body).slice(0, 200)}`,
});

/** A tool call's arguments from a JSON string (OpenAI sends them so); the string itself when it does not parse. */
export function parseToolArguments(text: unknown): unknown {
  if (typeof text !== "string") return text ?? {};
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
