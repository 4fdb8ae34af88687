import { asObject, countOf, joinUrl, type ProviderFormat, unexpectedShape } from "./provider-format.js";

/** Default output limit: the Messages API requires `max_tokens`; 8192 fits every current Claude model. */
const DEFAULT_MAX_TOKENS = 8192;
const CACHE_POINT = { type: "ephemeral" } as const;

/**
 * Anthropic Messages API (`POST /v1/messages`). The system prompt and the last message carry cache
 * breakpoints so each attempt re-reads the conversation so far from the prompt cache (a prompt below
 * the model's minimum cacheable length is simply not cached). `input_tokens` already excludes cache
 * reads and writes.
 */
export const ANTHROPIC_FORMAT: ProviderFormat = {
  url: (baseUrl) => joinUrl(baseUrl, "/v1/messages"),
  headers: (apiKey) => ({ "x-api-key": apiKey, "anthropic-version": "2023-06-01" }),
  body: (model, request) => ({
    model,
    max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
    system: [{ type: "text", text: request.system, cache_control: CACHE_POINT }],
    messages: request.messages.map((message, index) => ({
      role: message.role,
      content:
        index === request.messages.length - 1
          ? [{ type: "text", text: message.content, cache_control: CACHE_POINT }]
          : message.content,
    })),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  }),
  read(body) {
    const root = asObject(body);
    if (!root || !Array.isArray(root.content)) return unexpectedShape("Anthropic", body);
    const text = root.content
      .map((part) => asObject(part))
      .filter((part) => part?.type === "text" && typeof part.text === "string")
      .map((part) => String(part?.text))
      .join("");
    const usage = asObject(root.usage) ?? {};
    return {
      ok: true,
      text,
      stopReason: String(root.stop_reason ?? ""),
      usage: {
        inputTokens: countOf(usage.input_tokens),
        outputTokens: countOf(usage.output_tokens),
        cacheReadTokens: countOf(usage.cache_read_input_tokens),
        cacheWriteTokens: countOf(usage.cache_creation_input_tokens),
      },
    };
  },
};
