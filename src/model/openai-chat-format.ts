import type { ModelMessage, ModelRequest } from "./model.js";
import {
  asObject,
  countOf,
  joinUrl,
  type ProviderFormat,
  parseToolArguments,
  toolCallId,
  unexpectedShape,
} from "./provider-format.js";

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
      messages: [{ role: "system", content: request.system }, ...request.messages.flatMap(chatMessages)],
      ...(request.tools?.length
        ? {
            tools: request.tools.map((tool) => ({
              type: "function",
              function: { name: tool.name, description: tool.description, parameters: tool.parameters },
            })),
          }
        : {}),
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
      const toolCalls = (Array.isArray(message.tool_calls) ? message.tool_calls : [])
        .map((call) => asObject(call))
        .filter((call) => typeof asObject(call?.function)?.name === "string")
        .map((call, index) => ({
          id: toolCallId(call?.id, index),
          name: String(asObject(call?.function)?.name),
          arguments: parseToolArguments(asObject(call?.function)?.arguments),
        }));
      return {
        ok: true,
        text,
        toolCalls,
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

/** One conversation message as Chat Completions messages: each tool result is its own `tool` message. */
function chatMessages(message: ModelMessage): Record<string, unknown>[] {
  const results = (message.toolResults ?? []).map((result) => ({
    role: "tool",
    tool_call_id: result.callId,
    content: result.content,
  }));
  if (message.toolCalls?.length) {
    return [
      ...results,
      {
        role: "assistant",
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: "function",
          function: { name: call.name, arguments: JSON.stringify(call.arguments ?? {}) },
        })),
      },
    ];
  }
  return message.content || results.length === 0
    ? [...results, { role: message.role, content: message.content }]
    : results;
}
