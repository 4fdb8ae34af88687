import type { ModelMessage } from "./model.js";
import {
  asObject,
  countOf,
  joinUrl,
  type ProviderFormat,
  toolCallId,
  unexpectedShape,
} from "./provider-format.js";

/**
 * Google Gemini `POST {base}/models/{model}:generateContent` (base ending in `/v1beta`).
 * `promptTokenCount` includes `cachedContentTokenCount`; thinking tokens (`thoughtsTokenCount`)
 * are billed as output, and thought parts are left out of the answer's text.
 */
export const GEMINI_FORMAT: ProviderFormat = {
  url: (baseUrl, model) => joinUrl(baseUrl, `/models/${encodeURIComponent(model)}:generateContent`),
  headers: (apiKey) => ({ "x-goog-api-key": apiKey }),
  body: (_model, request) => {
    const generationConfig = {
      ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    };
    return {
      systemInstruction: { parts: [{ text: request.system }] },
      contents: request.messages.map((message) => ({
        role: message.role === "assistant" ? "model" : "user",
        parts: geminiParts(message),
      })),
      ...(request.tools?.length
        ? {
            tools: [
              {
                functionDeclarations: request.tools.map((tool) => ({
                  name: tool.name,
                  description: tool.description,
                  parameters: withoutAdditionalProperties(tool.parameters),
                })),
              },
            ],
          }
        : {}),
      ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    };
  },
  read(body) {
    const root = asObject(body);
    if (!root) return unexpectedShape("Gemini", body);
    const candidate = asObject(Array.isArray(root.candidates) ? root.candidates[0] : undefined);
    const blockReason = asObject(root.promptFeedback)?.blockReason;
    if (!candidate && typeof blockReason === "string") {
      // The prompt itself was blocked: asking the same again gets the same answer.
      return { ok: false, retryable: false, message: `Gemini blocked the prompt: ${blockReason}` };
    }
    if (!candidate) return unexpectedShape("Gemini", body);
    // A candidate cut by MAX_TOKENS or SAFETY may have no parts: an empty answer, not a fault.
    const parts = asObject(candidate.content)?.parts;
    const objects = (Array.isArray(parts) ? parts : []).map((part) => asObject(part));
    const text = objects
      .filter((part) => part?.thought !== true && typeof part?.text === "string")
      .map((part) => String(part?.text))
      .join("");
    const toolCalls = objects
      .filter((part) => typeof asObject(part?.functionCall)?.name === "string")
      .map((part, index) => {
        const call = asObject(part?.functionCall) ?? {};
        return {
          id: toolCallId(call.id, index),
          name: String(call.name),
          arguments: call.args ?? {},
          // Gemini 3 rejects a function call sent back without the signature it came with.
          ...(typeof part?.thoughtSignature === "string"
            ? { providerData: { thoughtSignature: part.thoughtSignature } }
            : {}),
        };
      });
    const usage = asObject(root.usageMetadata) ?? {};
    const cached = countOf(usage.cachedContentTokenCount);
    return {
      ok: true,
      text,
      toolCalls,
      stopReason: String(candidate.finishReason ?? ""),
      usage: {
        inputTokens: Math.max(0, countOf(usage.promptTokenCount) - cached),
        outputTokens: countOf(usage.candidatesTokenCount) + countOf(usage.thoughtsTokenCount),
        cacheReadTokens: cached,
        cacheWriteTokens: 0,
      },
    };
  },
};

/** A message as Gemini parts: function responses, text, function calls (with their signatures). */
function geminiParts(message: ModelMessage): Record<string, unknown>[] {
  const parts: Record<string, unknown>[] = (message.toolResults ?? []).map((result) => ({
    functionResponse: { name: result.name, response: { content: result.content } },
  }));
  if (message.content || parts.length + (message.toolCalls?.length ?? 0) === 0)
    parts.push({ text: message.content });
  for (const call of message.toolCalls ?? [])
    parts.push({
      functionCall: { name: call.name, args: asObject(call.arguments) ?? {} },
      ...(call.providerData ?? {}),
    });
  return parts;
}

/** Gemini's schema subset has no `additionalProperties`: drop it at every level. */
function withoutAdditionalProperties(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAdditionalProperties);
  const object = asObject(schema);
  if (!object) return schema;
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => key !== "additionalProperties")
      .map(([key, value]) => [key, withoutAdditionalProperties(value)]),
  );
}
