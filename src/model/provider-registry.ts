import type { LanguageModel, ProviderMetadata } from "ai";

// Each provider's SDK package is imported when a model of it is first made: loading all six (and
// `ai`) made every command, `swegate dataset list` included, start about half again slower.

/** What a provider factory gets: the model's name, where to send, how to authenticate. */
export interface ProviderSettings {
  /** The provider's name for the model (the part after `provider:`). */
  modelName: string;
  /** Endpoint base as the user gives it (see each provider's `defaultBaseUrl` for its shape). */
  baseUrl: string;
  /** The key, or "" (cloud providers: "" means their usual credentials, see read-api-key.ts). */
  apiKey: string;
  /** Region or location (cloud providers). */
  region?: string;
  /** Cloud project (Vertex without an express-mode key). */
  project?: string;
  /** AWS access key pair (Bedrock without an API key). */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The fetch every request goes through (swegate's timeout and transcript hooks). */
  fetch: typeof fetch;
}

/** How to reach one provider. */
export interface ProviderEntry {
  /** Environment variables holding the key, first found wins. */
  keyVariables: string[];
  /** Whether a call without a key makes sense (local OpenAI-compatible servers often need none). */
  keyRequired: boolean;
  /** Environment variable overriding the base URL. */
  baseVariable: string;
  /** Public endpoint; empty when the user must name one, or when the provider derives it (cloud). */
  defaultBaseUrl: string;
  /** Whether an empty base URL is fine (the provider builds it from region or project). */
  derivesBaseUrl?: boolean;
  /** The AI SDK language model for one call's settings (its SDK package loaded on first use). */
  create(settings: ProviderSettings): Promise<LanguageModel>;
  /** Provider options that mark a cache breakpoint on a message (providers with explicit caching). */
  cachePoint?(modelName: string): ProviderMetadata | undefined;
}

/** `base` ending in `suffix`, appended when missing (a user's origin or a full API base both work). */
export const withSuffix = (base: string, suffix: string): string => {
  const trimmed = base.replace(/\/+$/, "");
  return trimmed.endsWith(suffix) ? trimmed : `${trimmed}${suffix}`;
};

const ANTHROPIC_CACHE: ProviderMetadata = { anthropic: { cacheControl: { type: "ephemeral" } } };

/** Every real provider by the name used in `provider:model-id`. */
export const PROVIDERS: Readonly<Record<string, ProviderEntry>> = {
  anthropic: {
    keyVariables: ["ANTHROPIC_API_KEY"],
    keyRequired: true,
    baseVariable: "ANTHROPIC_BASE_URL",
    // Anthropic's own SDKs take the origin; the AI SDK wants `origin/v1`.
    defaultBaseUrl: "https://api.anthropic.com",
    create: async (settings) =>
      (await import("@ai-sdk/anthropic")).createAnthropic({
        apiKey: settings.apiKey,
        baseURL: withSuffix(settings.baseUrl, "/v1"),
        fetch: settings.fetch,
      })(settings.modelName),
    cachePoint: () => ANTHROPIC_CACHE,
  },
  google: {
    // Google's rule: GOOGLE_API_KEY wins when both are set.
    keyVariables: ["GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENERATIVE_AI_API_KEY"],
    keyRequired: true,
    baseVariable: "GOOGLE_GEMINI_BASE_URL",
    defaultBaseUrl: "https://generativelanguage.googleapis.com/v1beta",
    create: async (settings) =>
      (await import("@ai-sdk/google")).createGoogleGenerativeAI({
        apiKey: settings.apiKey,
        baseURL: withSuffix(settings.baseUrl, "/v1beta"),
        fetch: settings.fetch,
      })(settings.modelName),
  },
  openai: {
    keyVariables: ["OPENAI_API_KEY"],
    keyRequired: true,
    baseVariable: "OPENAI_BASE_URL",
    defaultBaseUrl: "https://api.openai.com/v1",
    // `.chat`: calling the provider itself would use the Responses API.
    create: async (settings) =>
      (await import("@ai-sdk/openai"))
        .createOpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl, fetch: settings.fetch })
        .chat(settings.modelName),
  },
  "openai-compatible": {
    keyVariables: ["OPENAI_COMPATIBLE_API_KEY"],
    keyRequired: false,
    baseVariable: "OPENAI_COMPATIBLE_BASE_URL",
    defaultBaseUrl: "",
    create: async (settings) =>
      (await import("@ai-sdk/openai-compatible"))
        .createOpenAICompatible({
          name: "openai-compatible",
          baseURL: settings.baseUrl,
          ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
          includeUsage: true,
          fetch: settings.fetch,
        })
        .chatModel(settings.modelName),
  },
  bedrock: {
    // A Bedrock API key; without one, the AWS access key pair (see read-api-key.ts).
    keyVariables: ["AWS_BEARER_TOKEN_BEDROCK"],
    keyRequired: false,
    baseVariable: "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    defaultBaseUrl: "",
    derivesBaseUrl: true,
    create: async (settings) =>
      (await import("@ai-sdk/amazon-bedrock")).createAmazonBedrock({
        region: settings.region,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : (settings.awsCredentials ?? {})),
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        fetch: settings.fetch,
      })(settings.modelName),
    cachePoint: (modelName) =>
      modelName.includes("anthropic.") ? { bedrock: { cachePoint: { type: "default" } } } : undefined,
  },
  vertex: {
    // An express-mode key; without one, Google's application default credentials and a project.
    keyVariables: ["GOOGLE_VERTEX_API_KEY"],
    keyRequired: false,
    baseVariable: "GOOGLE_VERTEX_BASE_URL",
    defaultBaseUrl: "",
    derivesBaseUrl: true,
    create: async (settings) => {
      const common = {
        ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
        ...(settings.project ? { project: settings.project } : {}),
        ...(settings.region ? { location: settings.region } : {}),
        fetch: settings.fetch,
      };
      // Claude on Vertex speaks Anthropic's format through its own endpoint.
      if (settings.modelName.startsWith("claude"))
        return (await import("@ai-sdk/google-vertex/anthropic")).createVertexAnthropic(common)(
          settings.modelName,
        );
      return (await import("@ai-sdk/google-vertex")).createVertex({
        ...common,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      })(settings.modelName);
    },
    cachePoint: (modelName) => (modelName.startsWith("claude") ? ANTHROPIC_CACHE : undefined),
  },
};
