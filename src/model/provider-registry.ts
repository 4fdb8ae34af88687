import { ANTHROPIC_FORMAT } from "./anthropic-format.js";
import { GEMINI_FORMAT } from "./gemini-format.js";
import { createOpenAiChatFormat } from "./openai-chat-format.js";
import type { ProviderFormat } from "./provider-format.js";

/** How to reach one provider. */
export interface ProviderEntry {
  /** Request/response translation. */
  format: ProviderFormat;
  /** Environment variables holding the key, first found wins. */
  keyVariables: string[];
  /** Whether a call without a key makes sense (local OpenAI-compatible servers often need none). */
  keyRequired: boolean;
  /** Environment variable overriding the base URL. */
  baseVariable: string;
  /** Public endpoint; empty when the user must name one. */
  defaultBaseUrl: string;
}

/** Every real provider by the name used in `provider:model-id`. */
export const PROVIDERS: Readonly<Record<string, ProviderEntry>> = {
  anthropic: {
    format: ANTHROPIC_FORMAT,
    keyVariables: ["ANTHROPIC_API_KEY"],
    keyRequired: true,
    baseVariable: "ANTHROPIC_BASE_URL",
    defaultBaseUrl: "https://api.anthropic.com",
  },
  google: {
    format: GEMINI_FORMAT,
    keyVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    keyRequired: true,
    baseVariable: "GOOGLE_GEMINI_BASE_URL",
    defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta",
  },
  openai: {
    format: createOpenAiChatFormat({ outputLimitField: "max_completion_tokens" }),
    keyVariables: ["OPENAI_API_KEY"],
    keyRequired: true,
    baseVariable: "OPENAI_BASE_URL",
    defaultBaseUrl: "https://api.openai.com/v1",
  },
  "openai-compatible": {
    format: createOpenAiChatFormat({ outputLimitField: "max_tokens" }),
    keyVariables: ["OPENAI_COMPATIBLE_API_KEY"],
    keyRequired: false,
    baseVariable: "OPENAI_COMPATIBLE_BASE_URL",
    defaultBaseUrl: "",
  },
};
