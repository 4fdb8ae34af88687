import type { AssistantContent, ProviderMetadata, ModelMessage as SdkMessage } from "ai";
import type { ModelMessage, ToolCall, Usage } from "./model.js";

/** Provider options as the AI SDK takes them: `{ provider: { option: value } }` (the metadata's shape). */
export type ProviderOptions = ProviderMetadata;

/**
 * What stands in for an empty answer sent back to the model: real APIs refuse an empty turn
 * (Anthropic 400 "all messages must have non-empty content", Gemini 400 "required oneof field
 * 'data'"), so an answer that said nothing is sent as saying so.
 */
export const EMPTY_TURN_TEXT = "(empty answer)";

const asObject = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/**
 * swegate's conversation as AI SDK messages, never with an empty turn: tool results go first as a
 * `tool` message, then the text; an assistant turn carries its text (when any) and its tool calls
 * with the provider data they came with (Gemini's thought signature). `cachePoint` marks the last
 * message as a cache breakpoint, so the next attempt re-reads the conversation so far from cache.
 */
export function toSdkMessages(messages: readonly ModelMessage[], cachePoint?: ProviderOptions): SdkMessage[] {
  const translated = messages.flatMap(toSdkMessage);
  const last = translated.at(-1);
  if (last && cachePoint) translated[translated.length - 1] = { ...last, providerOptions: cachePoint };
  return translated;
}

function toSdkMessage(message: ModelMessage): SdkMessage[] {
  if (message.role === "assistant") {
    const calls = message.toolCalls ?? [];
    const text = message.content || (calls.length === 0 ? EMPTY_TURN_TEXT : "");
    const content: AssistantContent = [
      ...(text ? [{ type: "text" as const, text }] : []),
      ...calls.map((call) => ({
        type: "tool-call" as const,
        toolCallId: call.id,
        toolName: call.name,
        // Providers want an object: arguments that did not parse go back as none.
        input: asObject(call.arguments) ?? {},
        ...(call.providerData ? { providerOptions: call.providerData as ProviderOptions } : {}),
      })),
    ];
    return [{ role: "assistant", content }];
  }
  const results = message.toolResults ?? [];
  const translated: SdkMessage[] = [];
  if (results.length > 0)
    translated.push({
      role: "tool",
      content: results.map((result) => ({
        type: "tool-result" as const,
        toolCallId: result.callId,
        toolName: result.name,
        output: { type: "text" as const, value: result.content },
      })),
    });
  if (message.content || results.length === 0)
    translated.push({ role: "user", content: message.content || EMPTY_TURN_TEXT });
  return translated;
}

/** One tool call of an AI SDK answer as swegate's: id, name, arguments (the raw text when not JSON). */
export function fromSdkToolCall(
  part: { toolCallId: string; toolName: string; input: unknown; providerMetadata?: unknown },
  index: number,
): ToolCall {
  const providerData = asObject(part.providerMetadata);
  return {
    id: part.toolCallId || `call_${index}`,
    name: part.toolName,
    arguments: part.input ?? {},
    ...(providerData && Object.keys(providerData).length > 0 ? { providerData } : {}),
  };
}

/**
 * The AI SDK's usage in swegate's shape: uncached input apart from cache reads and writes; output
 * with reasoning, and the reasoning part on its own where the provider reports it.
 */
export function fromSdkUsage(usage: {
  inputTokens?: number;
  outputTokens?: number;
  inputTokenDetails?: { noCacheTokens?: number; cacheReadTokens?: number; cacheWriteTokens?: number };
  outputTokenDetails?: { reasoningTokens?: number };
  reasoningTokens?: number;
}): Usage {
  const count = (value: number | undefined) => (typeof value === "number" && value > 0 ? value : 0);
  const cacheReadTokens = count(usage.inputTokenDetails?.cacheReadTokens);
  const cacheWriteTokens = count(usage.inputTokenDetails?.cacheWriteTokens);
  const noCache = usage.inputTokenDetails?.noCacheTokens;
  return {
    inputTokens:
      typeof noCache === "number"
        ? count(noCache)
        : Math.max(0, count(usage.inputTokens) - cacheReadTokens - cacheWriteTokens),
    outputTokens: count(usage.outputTokens),
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens: count(usage.outputTokenDetails?.reasoningTokens ?? usage.reasoningTokens),
  };
}
