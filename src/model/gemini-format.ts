import { asObject, countOf, joinUrl, type ProviderFormat, unexpectedShape } from "./provider-format.js";

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
        parts: [{ text: message.content }],
      })),
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
    const text = (Array.isArray(parts) ? parts : [])
      .map((part) => asObject(part))
      .filter((part) => part?.thought !== true && typeof part?.text === "string")
      .map((part) => String(part?.text))
      .join("");
    const usage = asObject(root.usageMetadata) ?? {};
    const cached = countOf(usage.cachedContentTokenCount);
    return {
      ok: true,
      text,
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
