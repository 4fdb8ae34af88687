import type { ModelRequest, Usage } from "./model.js";

/** A provider's wire format: build the request, read the answer. Pure functions; the raw body is kept by the caller. */
export interface ProviderFormat {
  url(baseUrl: string, model: string): string;
  headers(apiKey: string): Record<string, string>;
  body(model: string, request: ModelRequest): unknown;
  /** Text, usage and stop reason; undefined when the body is not the documented shape. */
  read(body: unknown): { text: string; usage: Usage; stopReason: string } | undefined;
}

const numberOr0 = (value: unknown) => (typeof value === "number" ? value : 0);
type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  value && typeof value === "object" ? (value as Json) : undefined;

/** Anthropic Messages API. `input_tokens` already excludes cache reads and writes. */
export const ANTHROPIC: ProviderFormat = {
  url: (baseUrl) => `${baseUrl.replace(/\/$/, "")}/v1/messages`,
  headers: (apiKey) => ({ "x-api-key": apiKey, "anthropic-version": "2023-06-01" }),
  body: (model, request) => ({
    model,
    max_tokens: request.maxOutputTokens ?? 8192,
    system: request.system,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  }),
  read(body) {
    const root = object(body);
    if (!root || !Array.isArray(root.content)) return undefined;
    const text = root.content
      .map((part) => object(part))
      .filter((part) => part?.type === "text")
      .map((part) => String(part?.text ?? ""))
      .join("");
    const usage = object(root.usage) ?? {};
    return {
      text,
      stopReason: String(root.stop_reason ?? ""),
      usage: {
        inputTokens: numberOr0(usage.input_tokens),
        outputTokens: numberOr0(usage.output_tokens),
        cacheReadTokens: numberOr0(usage.cache_read_input_tokens),
        cacheWriteTokens: numberOr0(usage.cache_creation_input_tokens),
      },
    };
  },
};

/** OpenAI Chat Completions (also every OpenAI-compatible server). `prompt_tokens` includes cached tokens. */
export const OPENAI_CHAT: ProviderFormat = {
  url: (baseUrl) => `${baseUrl.replace(/\/$/, "")}/chat/completions`,
  headers: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  body: (model, request) => ({
    model,
    messages: [{ role: "system", content: request.system }, ...request.messages],
    ...(request.maxOutputTokens ? { max_completion_tokens: request.maxOutputTokens } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  }),
  read(body) {
    const root = object(body);
    const choice = object(Array.isArray(root?.choices) ? root.choices[0] : undefined);
    const message = object(choice?.message);
    if (!root || !message) return undefined;
    const usage = object(root.usage) ?? {};
    const cached = numberOr0(object(usage.prompt_tokens_details)?.cached_tokens);
    return {
      text: typeof message.content === "string" ? message.content : "",
      stopReason: String(choice?.finish_reason ?? ""),
      usage: {
        inputTokens: numberOr0(usage.prompt_tokens) - cached,
        outputTokens: numberOr0(usage.completion_tokens),
        cacheReadTokens: cached,
        cacheWriteTokens: 0,
      },
    };
  },
};

/** Google Gemini `generateContent`. `promptTokenCount` includes cached content; thinking tokens bill as output. */
export const GEMINI: ProviderFormat = {
  url: (baseUrl, model) => `${baseUrl.replace(/\/$/, "")}/models/${model}:generateContent`,
  headers: (apiKey) => ({ "x-goog-api-key": apiKey }),
  body: (_model, request) => ({
    systemInstruction: { parts: [{ text: request.system }] },
    contents: request.messages.map((message) => ({
      role: message.role === "assistant" ? "model" : "user",
      parts: [{ text: message.content }],
    })),
    generationConfig: {
      ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    },
  }),
  read(body) {
    const root = object(body);
    const candidate = object(Array.isArray(root?.candidates) ? root.candidates[0] : undefined);
    const content = object(candidate?.content);
    if (!root || !candidate || !Array.isArray(content?.parts)) return undefined;
    const usage = object(root.usageMetadata) ?? {};
    const cached = numberOr0(usage.cachedContentTokenCount);
    return {
      text: content.parts.map((part) => String(object(part)?.text ?? "")).join(""),
      stopReason: String(candidate.finishReason ?? ""),
      usage: {
        inputTokens: numberOr0(usage.promptTokenCount) - cached,
        outputTokens: numberOr0(usage.candidatesTokenCount) + numberOr0(usage.thoughtsTokenCount),
        cacheReadTokens: cached,
        cacheWriteTokens: 0,
      },
    };
  },
};
