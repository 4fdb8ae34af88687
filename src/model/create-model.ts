import PQueue from "p-queue";
import type { Instance } from "../dataset/instance.js";
import { EnvironmentError, UserError } from "../errors.js";
import type { Model, ModelRequest, ModelResponse } from "./model.js";
import { costOf, type PriceTable } from "./price-table.js";
import { ANTHROPIC, GEMINI, OPENAI_CHAT, type ProviderFormat } from "./provider-formats.js";
import { createDemoModel, createOracleModel, createReplayModel } from "./scripted-models.js";
import { sendWithRetries } from "./send-with-retries.js";

export interface ModelSettings {
  /** Provider endpoint (default: the provider's public API, or the *_BASE_URL variable). */
  baseUrl?: string;
  /** Key (default: the provider's usual environment variable). */
  apiKey?: string;
  /** Retries after the first try (default 6). */
  maxRetries?: number;
  /** Per-request timeout, milliseconds (default 600000). */
  timeoutMs?: number;
  /** Calls in flight per provider (default 8). */
  concurrency?: number;
  /** Prices for cost; a model without a price costs `null`. */
  prices: PriceTable;
  /** Instances by id, for the scripted models (oracle, demo). */
  instances?: ReadonlyMap<string, Instance>;
  /** Injectable wait for retry tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  /** Output token limit per call. */
  maxOutputTokens?: number;
}

const PROVIDERS: Record<
  string,
  {
    format: ProviderFormat;
    keyVariables: string[];
    baseVariable: string;
    defaultBase: string;
    keyRequired: boolean;
  }
> = {
  anthropic: {
    format: ANTHROPIC,
    keyVariables: ["ANTHROPIC_API_KEY"],
    baseVariable: "ANTHROPIC_BASE_URL",
    defaultBase: "https://api.anthropic.com",
    keyRequired: true,
  },
  google: {
    format: GEMINI,
    keyVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    baseVariable: "GOOGLE_GEMINI_BASE_URL",
    defaultBase: "https://generativelanguage.googleapis.com/v1beta",
    keyRequired: true,
  },
  openai: {
    format: OPENAI_CHAT,
    keyVariables: ["OPENAI_API_KEY"],
    baseVariable: "OPENAI_BASE_URL",
    defaultBase: "https://api.openai.com/v1",
    keyRequired: true,
  },
  "openai-compatible": {
    format: OPENAI_CHAT,
    keyVariables: ["OPENAI_COMPATIBLE_API_KEY"],
    baseVariable: "OPENAI_COMPATIBLE_BASE_URL",
    defaultBase: "",
    keyRequired: false,
  },
};

/** Reads a provider's key from its usual environment variables, or fails naming them. */
export function readApiKey(provider: string): string {
  const spec = PROVIDERS[provider];
  if (!spec) throw new UserError(`unknown provider ${provider}`);
  for (const variable of spec.keyVariables) {
    const value = process.env[variable];
    if (value) return value;
  }
  if (!spec.keyRequired) return "";
  throw new EnvironmentError(`no API key for ${provider}`, {
    where: `--model ${provider}:…`,
    hint: `set ${spec.keyVariables.join(" or ")}, or run the offline demo with no --model`,
  });
}

const queues = new Map<string, PQueue>();

/**
 * The one registry of models, chosen by `provider:model-id`: `anthropic:`, `google:`, `openai:`,
 * `openai-compatible:` (with a base URL), and the stand-ins `oracle`, `demo`, `replay:FILE`.
 */
export function createModel(spec: string, settings: ModelSettings): Model {
  if (spec === "oracle") return createOracleModel(settings.instances ?? new Map());
  if (spec === "demo") return createDemoModel(settings.instances ?? new Map());
  if (spec.startsWith("replay:")) return createReplayModel(spec.slice("replay:".length));
  const separator = spec.indexOf(":");
  const provider = spec.slice(0, separator);
  const modelName = spec.slice(separator + 1);
  const entry = PROVIDERS[provider];
  if (separator < 1 || !entry || !modelName) {
    throw new UserError(`unknown model ${JSON.stringify(spec)}`, {
      where: "--model",
      hint: "use anthropic:MODEL, google:MODEL, openai:MODEL, openai-compatible:MODEL, oracle, demo or replay:FILE",
    });
  }
  const baseUrl = settings.baseUrl ?? process.env[entry.baseVariable] ?? entry.defaultBase;
  if (!baseUrl)
    throw new UserError("openai-compatible needs --base-url", {
      where: "--model",
      hint: "e.g. --base-url http://127.0.0.1:8000/v1",
    });
  const apiKey = settings.apiKey ?? readApiKey(provider);
  let queue = queues.get(provider);
  if (!queue) {
    queue = new PQueue({ concurrency: settings.concurrency ?? 8 });
    queues.set(provider, queue);
  } else if (settings.concurrency !== undefined) {
    // The limit is per provider for the whole process; the latest explicit setting wins.
    queue.concurrency = settings.concurrency;
  }
  const limiter = queue;
  return {
    id: spec,
    scripted: false,
    complete: (request: ModelRequest) =>
      limiter.add(() =>
        callProvider(entry.format, spec, modelName, baseUrl, apiKey, request, settings),
      ) as Promise<ModelResponse>,
  };
}

async function callProvider(
  format: ProviderFormat,
  id: string,
  modelName: string,
  baseUrl: string,
  apiKey: string,
  request: ModelRequest,
  settings: ModelSettings,
): Promise<ModelResponse> {
  const started = Date.now();
  const outcome = await sendWithRetries(
    format.url(baseUrl, modelName),
    format.headers(apiKey),
    format.body(modelName, {
      ...request,
      maxOutputTokens: request.maxOutputTokens ?? settings.maxOutputTokens,
    }),
    {
      maxRetries: settings.maxRetries ?? 6,
      timeoutMs: settings.timeoutMs ?? 600_000,
      sleep: settings.sleep,
      signal: request.signal,
    },
  );
  if (!outcome.ok) {
    return {
      ok: false,
      kind: outcome.kind,
      message: outcome.message,
      status: outcome.status,
      retries: outcome.retries,
      durationMs: Date.now() - started,
    };
  }
  const read = format.read(outcome.body);
  if (!read) {
    return {
      ok: false,
      kind: "infra",
      message: "the provider's answer is not in its documented shape",
      retries: outcome.retries,
      durationMs: Date.now() - started,
    };
  }
  return {
    ok: true,
    ...read,
    costUsd: costOf(settings.prices, id, read.usage),
    durationMs: Date.now() - started,
    raw: outcome.body,
  };
}
