import type { ModelRequest } from "./model.js";
import { asObject, countOf, joinUrl, type ProviderFormat, unexpectedShape } from "./provider-format.js";

/**
 * OpenAI Chat Completions (`POST {base}/chat/completions`, base ending in `/v1`), also spoken by
 * OpenAI-compatible servers. `prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens`, so the
 * cached part is split out. OpenAI's reasoning models reject `max_tokens` and want
 * `max_completion_tokens`; many compatible servers only know `max_tokens`, hence the option.
 */
export function createOpenAiChatFormat(options: {
  outputLimitField: "max_completion_tokens" | "max_tokens";
}): ProviderFormat {
  return {
    url: (baseUrl) => joinUrl(baseUrl, "/chat/completions"),
    headers: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    body: (model, request: ModelRequest) => ({
      model,
      messages: [
        { role: "system", content: request.system },
        ...request.messages.map((message) => ({ role: message.role, content: message.content })),
      ],
      ...(request.maxOutputTokens ? { [options.outputLimitField]: request.maxOutputTokens } : {}),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    }),
    read(body) {
      const root = asObject(body);
      const choice = asObject(Array.isArray(root?.choices) ? root.choices[0] : undefined);
      const message = asObject(choice?.message);
      if (!root || !choice || !message) return unexpectedShape("OpenAI chat", body);
      const usage = asObject(root.usage) ?? {};
      const cached = countOf(asObject(usage.prompt_tokens_details)?.cached_tokens);
      // A refusal arrives in its own field with `content: null`; keep its words as the answer.
      const text =
        typeof message.content === "string"
          ? message.content
          : typeof message.refusal === "string"
            ? message.refusal
            : "";
      return {
        ok: true,
        text,
        stopReason: typeof message.refusal === "string" ? "refusal" : String(choice.finish_reason ?? ""),
        usage: {
          inputTokens: Math.max(0, countOf(usage.prompt_tokens) - cached),
          outputTokens: countOf(usage.completion_tokens),
          cacheReadTokens: cached,
          cacheWriteTokens: 0,
        },
      };
    },
  };
}
