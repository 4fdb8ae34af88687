import type { ModelMessage } from "./model.js";
import {
  asObject,
  countOf,
  joinUrl,
  type ProviderFormat,
  toolCallId,
  unexpectedShape,
} from "./provider-format.js";

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
    messages: request.messages.map((message, index) => {
      const blocks = contentBlocks(message);
      if (index !== request.messages.length - 1)
        return {
          role: message.role,
          content: blocks.length === 1 && blocks[0]?.type === "text" ? message.content : blocks,
        };
      // The cache breakpoint goes on the last block of the last message.
      const last = blocks.length > 0 ? blocks : [{ type: "text", text: message.content }];
      return {
        role: message.role,
        content: last.map((block, at) =>
          at === last.length - 1 ? { ...block, cache_control: CACHE_POINT } : block,
        ),
      };
    }),
    ...(request.tools?.length
      ? {
          tools: request.tools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            input_schema: tool.parameters,
          })),
        }
      : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  }),
  read(body) {
    const root = asObject(body);
    if (!root || !Array.isArray(root.content)) return unexpectedShape("Anthropic", body);
    const parts = root.content.map((part) => asObject(part));
    const text = parts
      .filter((part) => part?.type === "text" && typeof part.text === "string")
      .map((part) => String(part?.text))
      .join("");
    const toolCalls = parts
      .filter((part) => part?.type === "tool_use" && typeof part.name === "string")
      .map((part, index) => ({
        id: toolCallId(part?.id, index),
        name: String(part?.name),
        arguments: part?.input ?? {},
      }));
    const usage = asObject(root.usage) ?? {};
    return {
      ok: true,
      text,
      toolCalls,
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

/** A message as Messages API content blocks: tool results first (the API wants them first), text, tool uses. */
function contentBlocks(message: ModelMessage): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = (message.toolResults ?? []).map((result) => ({
    type: "tool_result",
    tool_use_id: result.callId,
    content: result.content,
  }));
  if (message.content) blocks.push({ type: "text", text: message.content });
  for (const call of message.toolCalls ?? [])
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input: asObject(call.arguments) ?? {} });
  return blocks;
}
